"""The asset crawler of the wheel-install test finds every kind of reference a browser follows, and only
those, so "every asset the page loads answers 200" really covers every asset."""

from __future__ import annotations

from .assets import css_urls, js_imports, links_of

BASE = "http://127.0.0.1:9/static/js/views/network.js"


def test_html_links_cover_scripts_stylesheets_icons_images_and_inline_module_imports():
    html = b"""<!doctype html><html><head>
      <link rel="stylesheet" href="/static/css/a.css"><link rel="modulepreload" href="/static/js/m.js">
      <link rel="icon" href="/static/favicon.svg"><link rel="canonical" href="https://elsewhere.example/">
      <script src="/static/vendor/plotly.min.js" defer></script>
      <script type="module">import { go } from "/static/js/boot.js"; go();</script>
      <script>var notAModule = 'import "./no.js"';</script>
    </head><body><img src="img/logo.png"><a href="/docs">docs</a></body></html>"""
    assert links_of("http://h/page/", "text/html; charset=utf-8", html) == [
        "http://h/static/css/a.css", "http://h/static/js/m.js", "http://h/static/favicon.svg",
        "http://h/static/vendor/plotly.min.js", "http://h/static/js/boot.js", "http://h/page/img/logo.png"]


def test_js_imports_cover_static_side_effect_reexport_dynamic_and_multiline_forms():
    source = """
        import { a } from "./a.js";
        import b from '../b.js';
        import "./side-effect.js";
        export * from "./re.js";
        export { c } from "/static/js/c.js";
        import {
          d,
          e,
        } from "./multi.js";
        const lazy = await import("./lazy.js");
        const plain = "just a string from nowhere";
    """
    assert js_imports(source) == ["./a.js", "../b.js", "./side-effect.js", "./re.js", "/static/js/c.js",
                                  "./multi.js", "./lazy.js"]


def test_bare_module_names_are_not_followed_because_no_url_loads_them():
    assert js_imports('import x from "plotly"; import("lodash");') == []


def test_css_references_cover_url_forms_and_imports_but_not_fragments():
    css = """@import "base.css"; @import 'print.css';
      .a { background: url(img/a.png) } .b { background: url( "img/b.svg" ) }
      .c { mask: url('#clip') } .d { src: url(fonts/x.woff2) }"""
    assert sorted(css_urls(css)) == ["base.css", "fonts/x.woff2", "img/a.png", "img/b.svg", "print.css"]


def test_links_resolve_against_the_file_drop_fragments_and_skip_inline_data():
    body = b'import "./x.js#frag"; import "../y.js"; import "/z.js"; import "data:text/javascript,1";'
    assert links_of(BASE + "?v=3", "text/javascript", body) == [
        "http://127.0.0.1:9/static/js/views/x.js", "http://127.0.0.1:9/static/js/y.js", "http://127.0.0.1:9/z.js"]


def test_files_of_other_kinds_name_nothing():
    assert links_of("http://h/static/logo.png", "image/png", b'from "./a.js"') == []
