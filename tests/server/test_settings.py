"""settings.py: defaults, the MLP_PLAYGROUND_ environment prefix, settings checked as they are read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_defaults_serve_loopback_port_8000(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(f"MLP_PLAYGROUND_{name.upper()}", raising=False)
    s = Settings()
    assert (s.host, s.port, s.workers, s.frame_ancestors) == ("127.0.0.1", 8000, 1, "*")


def test_environment_variables_with_the_prefix_set_settings(monkeypatch):
    monkeypatch.setenv("MLP_PLAYGROUND_MAX_SESSIONS", "5")
    monkeypatch.setenv("MLP_PLAYGROUND_ALLOWED_ORIGINS", "https://a.example, http://b.example:8080/")
    s = Settings()
    assert s.max_sessions == 5 and s.allowed_origins == ["https://a.example", "http://b.example:8080"]


def test_an_allowed_origin_must_look_like_one():
    with pytest.raises(ValidationError, match="allowed_origins"):
        Settings(allowed_origins="evil.example/path")


def test_host_lists_are_split_lowercased_and_lose_the_trailing_dot():
    s = Settings(allowed_hosts=" Play.Example.org. , *.Lecture.example,,*")
    assert s.allowed_hosts == ["play.example.org", "*.lecture.example", "*"]


def test_embed_origins_are_origins_or_a_lone_star():
    assert Settings(embed_origins="https://a.example/, http://b.example:8080").embed_origins == [
        "https://a.example", "http://b.example:8080"]
    assert Settings(embed_origins=" * ").embed_origins == ["*"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"allowed_hosts": "play.example.org:8000"}, "'play.example.org:8000': give host names without a port"),
    ({"allowed_hosts": "bad host!"}, "'bad host!' is not a host name"),
    ({"allowed_hosts": ".example.org"}, "'.example.org' is not a host name"),
    ({"embed_origins": "*, https://a.example"}, "'\\*' allows every origin: give it alone"),
    ({"embed_origins": "ftp://a.example"}, "'ftp://a.example' is not an origin"),
])
def test_a_bad_host_or_embed_origin_is_refused_naming_the_setting_and_the_value(kwargs, message):
    with pytest.raises(ValidationError, match=message) as info:
        Settings(**kwargs)
    assert next(iter(kwargs)) in str(info.value)


def test_a_node_name_is_one_short_token_and_a_bad_one_is_refused_naming_the_setting():
    assert Settings(node_name=" web-2 ").node_name == "web-2"
    assert Settings(node_name="10.0.0.11:8001").node_name == "10.0.0.11:8001"
    for bad, message in (("web 2", "'web 2': use letters, digits"), ('x"}', "use letters, digits"),
                         ("n" * 65, "at most 64 characters")):
        with pytest.raises(ValidationError, match=message) as info:
            Settings(node_name=bad)
        assert "node_name" in str(info.value)
