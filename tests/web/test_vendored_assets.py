"""The browser libraries the pages load are files inside the package, pinned by
version and licence in one manifest, and served by the CRM itself (no CDN)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import metacrm

PACKAGE = Path(metacrm.__file__).parent
VENDOR = PACKAGE / "web/static/vendor"
MANIFEST = json.loads((VENDOR / "manifest.json").read_text())
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_every_vendored_file_is_the_one_the_manifest_pins() -> None:
    assert set(MANIFEST) == {"htmx.min.js", "alpine-csp.min.js", "sortable.min.js", "cel.min.js",
                             "echarts.min.js"}
    for name, entry in MANIFEST.items():
        digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{name} changed by hand: run scripts/refresh_vendor.py"
        assert entry["version"] and entry["licence"] in ("MIT", "0BSD", "Apache-2.0")
        assert (VENDOR / entry["licence_text"]).read_text().strip()


def test_the_alpine_build_is_the_csp_one() -> None:
    # The pages' Content-Security-Policy has no 'unsafe-eval': the standard build
    # of Alpine would not run at all.
    assert MANIFEST["alpine-csp.min.js"]["package"] == "@alpinejs/csp"


def test_every_static_and_translation_file_is_installed_with_the_package() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]
    globs = patterns["metacrm"]
    shipped = [p for p in (PACKAGE / "web/static").rglob("*") if p.is_file()]
    shipped += [p for p in (PACKAGE / "translations").rglob("*") if p.is_file()]
    assert shipped
    for path in shipped:
        relative = path.relative_to(PACKAGE).as_posix()
        assert any(fnmatch(relative, glob) for glob in globs), f"{relative} not in package-data"


def test_the_crm_serves_the_libraries_itself(crm) -> None:  # type: ignore[no-untyped-def]
    for name in MANIFEST:
        response = crm.get(f"/static/vendor/{name}")
        assert response.status_code == 200
        assert response.data == (VENDOR / name).read_bytes()
        assert "javascript" in response.headers["Content-Type"]


def test_the_chart_library_is_a_custom_build_that_names_what_it_bundles() -> None:
    entry = MANIFEST["echarts.min.js"]
    assert entry["package"] == "echarts" and entry["licence"] == "Apache-2.0"
    assert "bar, line, pie, funnel" in entry["custom_build"]
    assert {b["package"]: b["licence"] for b in entry["bundled"]} == {
        "zrender": "BSD-3-Clause", "tslib": "0BSD"}
    text = (VENDOR / entry["licence_text"]).read_text()
    assert "Apache License" in text and "BSD 3-Clause" in text  # every bundled licence
