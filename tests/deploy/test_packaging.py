"""Packaging without building: pyproject.toml names every Python package under app/ and maps the top-level
static/ and templates/ into the package, and the server finds those folders both where a wheel puts them
and where a checkout keeps them. (test_wheel_install.py and test_editable_install.py build and install.)"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app import server

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
PAGE_FOLDERS = {"app.static": "static", "app.templates": "templates"}


def test_every_python_package_under_app_is_named_in_pyproject():
    # the list is explicit (packages.find cannot add the mapped page folders), so a new subpackage must be
    # added to it or the wheel and the Docker image would lack it
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "app").rglob("__init__.py")}
    listed = set(SETUPTOOLS["packages"]) - set(PAGE_FOLDERS)
    assert on_disk == listed, (f"pyproject.toml [tool.setuptools] packages: add {sorted(on_disk - listed)}, "
                               f"remove {sorted(listed - on_disk)}")


def test_the_top_level_page_folders_are_mapped_into_the_package_with_all_their_files():
    assert SETUPTOOLS["package-dir"] == PAGE_FOLDERS
    for package, folder in PAGE_FOLDERS.items():
        assert package in SETUPTOOLS["packages"]
        assert SETUPTOOLS["package-data"][package] == ["**/*"]
        assert (ROOT / folder).is_dir() and not (ROOT / "app" / folder).exists(), \
            f"{folder}/ belongs at the repository's top level (DESIGN.md's layout), not inside app/"


def test_a_checkout_serves_the_top_level_folders():
    assert server.STATIC_DIR == ROOT / "static" and server.TEMPLATES_DIR == ROOT / "templates"
    assert (server.TEMPLATES_DIR / "index.html").is_file()
    assert (server.STATIC_DIR / "js" / "controller.js").is_file()


@pytest.mark.parametrize("name", ["static", "templates"])
def test_asset_dir_prefers_the_copy_inside_the_package_as_an_installed_wheel_has_it(tmp_path, monkeypatch,
                                                                                      name):
    package = tmp_path / "site-packages" / "app"
    (package / name).mkdir(parents=True)
    monkeypatch.setattr(server, "PACKAGE_DIR", package)
    assert server.asset_dir(name) == package / name


@pytest.mark.parametrize("name", ["static", "templates"])
def test_asset_dir_falls_back_to_the_folder_beside_the_package_as_a_checkout_has_it(tmp_path, monkeypatch,
                                                                                     name):
    package = tmp_path / "checkout" / "app"
    package.mkdir(parents=True)
    (tmp_path / "checkout" / name).mkdir()
    monkeypatch.setattr(server, "PACKAGE_DIR", package)
    assert server.asset_dir(name) == tmp_path / "checkout" / name
