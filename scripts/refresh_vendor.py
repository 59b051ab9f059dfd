#!/usr/bin/env python3
"""Refresh the browser libraries vendored into the package.

The web pages load htmx, Alpine.js (its CSP build), SortableJS, a CEL
interpreter and (report pages only) a custom build of Apache ECharts from
`platform/metacrm/web/static/vendor/`, so that `pip install` stays the only
install step and no page fetches anything from a CDN. This script is the one
way those files change: it downloads the pinned npm packages with `npm pack`
(development time only; needs npm), copies the distributed file (or bundles an
ES module package into one file with esbuild; ECharts: installs it with its
dependencies and bundles only the chart types and components the reports use,
ECHARTS_ENTRY), and rewrites `manifest.json` with each file's version, licence
and SHA-256, which a test compares with the files on disk.

    python scripts/refresh_vendor.py            # the pinned versions below
    python scripts/refresh_vendor.py --check    # only verify the manifest
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parents[1] / "platform/metacrm/web/static/vendor"
ESBUILD = "esbuild@0.24.0"


@dataclass(frozen=True)
class Library:
    name: str          # the npm package
    version: str       # pinned; change it here, then run the script
    licence: str       # SPDX identifier, checked against package.json
    source: str        # the file inside the package, or its ES module entry to bundle
    target: str        # the file name under vendor/
    bundle: bool = False
    licence_file: str | None = "LICENSE"   # None: the package ships no licence text
    # A custom build: this ES module (importing from the package) is bundled with the
    # package's npm dependencies into one IIFE script defining the global `global_name`.
    entry: str | None = None
    global_name: str = ""
    notices: tuple[str, ...] = ()  # more licence texts, package/file paths in node_modules
    # npm dependencies bundled into a custom build: (package, version, licence), checked
    # against what npm installed and recorded in the manifest.
    bundled: tuple[tuple[str, str, str], ...] = ()
    parts: str = ""  # what a custom build holds, for the manifest


LIBRARIES = (
    Library("htmx.org", "2.0.11", "0BSD", "dist/htmx.min.js", "htmx.min.js"),
    # The CSP build evaluates no strings as code, so the pages need no 'unsafe-eval'.
    Library("@alpinejs/csp", "3.17.4", "MIT", "dist/cdn.min.js", "alpine-csp.min.js",
            licence_file=None),
    Library("sortablejs", "1.15.7", "MIT", "Sortable.min.js", "sortable.min.js"),
    # Several ES modules in the package; one minified module for the browser.
    Library("@marcbachmann/cel-js", "8.0.0", "MIT", "lib/index.js", "cel.min.js", bundle=True),
    # Report pages only (runtime/report_charts.py, static/report-chart.js): the chart types
    # and components the presentations use, with zrender (BSD-3-Clause) and tslib (0BSD)
    # bundled in; the Chinese locale is part of ECharts' core (init(..., {locale: "ZH"})).
    Library("echarts", "6.1.0", "Apache-2.0", "", "echarts.min.js",
            entry="ECHARTS_ENTRY", global_name="echarts",
            notices=("echarts/NOTICE", "zrender/LICENSE", "tslib/LICENSE.txt"),
            bundled=(("zrender", "6.1.0", "BSD-3-Clause"), ("tslib", "2.3.0", "0BSD")),
            parts="charts: bar, line, pie, funnel; components: grid, tooltip, legend, "
                  "markLine, aria; renderer: canvas; locales: EN, ZH"),
)

# Bar (and stacked bar), line (and area), pie and funnel; the grid, tooltip, legend,
# markLine (a target line) and aria (a text description for screen readers).
ECHARTS_ENTRY = """
import { use, init, getInstanceByDom } from "echarts/core";
import { BarChart, LineChart, PieChart, FunnelChart } from "echarts/charts";
import { GridComponent, TooltipComponent, LegendComponent, MarkLineComponent,
         AriaComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
use([BarChart, LineChart, PieChart, FunnelChart, GridComponent, TooltipComponent,
     LegendComponent, MarkLineComponent, AriaComponent, CanvasRenderer]);
export { init, getInstanceByDom };
"""

# Alpine's package carries no LICENSE file; its repository's licence is MIT.
ALPINE_LICENCE = """MIT License

Copyright © 2019-2021 Caleb Porzio and contributors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(library: Library, work: Path) -> Path:
    """Unpack the pinned package into `work` and return its root."""
    spec = f"{library.name}@{library.version}"
    out = subprocess.run(["npm", "pack", "--silent", spec], cwd=work, check=True,
                         capture_output=True, text=True).stdout.split()[-1]
    root = work / library.target
    with tarfile.open(work / out) as archive:
        archive.extractall(root, filter="data")
    package = root / "package"
    declared = json.loads((package / "package.json").read_text())
    if declared.get("license") != library.licence:
        sys.exit(f"{spec}: licence is {declared.get('license')!r}, expected {library.licence!r}")
    return package


def custom_build(library: Library, work: Path) -> Path:
    """Install the pinned package with its dependencies and bundle ``library.entry``;
    returns the package's root (for its licence)."""
    project = work / library.target
    project.mkdir()
    (project / "package.json").write_text('{"private": true}')
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund",
                    f"{library.name}@{library.version}", ESBUILD], cwd=project, check=True,
                   capture_output=True)
    (project / "entry.js").write_text(globals()[library.entry or ""])
    subprocess.run(["npx", "esbuild", "entry.js", "--bundle", "--format=iife",
                    f"--global-name={library.global_name}", "--minify",
                    "--legal-comments=none", "--define:process.env.NODE_ENV=\"production\"",
                    f"--outfile={VENDOR / library.target}"], cwd=project, check=True,
                   capture_output=True)
    package = project / "node_modules" / library.name
    declared = json.loads((package / "package.json").read_text())
    if declared.get("license") != library.licence:
        sys.exit(f"{library.name}: licence is {declared.get('license')!r}")
    for name, version, licence in library.bundled:
        found = json.loads((project / "node_modules" / name / "package.json").read_text())
        if (found.get("version"), found.get("license")) != (version, licence):
            sys.exit(f"{library.name} bundles {name} {found.get('version')} "
                     f"({found.get('license')}), expected {version} ({licence}): update "
                     "LIBRARIES")
    return package


def install(library: Library, package: Path) -> None:
    target = VENDOR / library.target
    if library.entry:
        pass  # built by custom_build
    elif library.bundle:
        subprocess.run(["npx", "--yes", ESBUILD, library.source, "--bundle", "--format=esm",
                        "--minify", "--legal-comments=inline", f"--outfile={target}"],
                       cwd=package, check=True, capture_output=True)
    else:
        shutil.copyfile(package / library.source, target)
    licence = (package / library.licence_file).read_text() if library.licence_file \
        else ALPINE_LICENCE
    for notice in library.notices:  # the bundled dependencies' texts after the package's
        licence += f"\n\n---- {notice} ----\n\n" + (package.parent / notice).read_text()
    (VENDOR / "licences").mkdir(exist_ok=True)
    (VENDOR / "licences" / f"{library.target}.txt").write_text(licence)


def manifest() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for lib in LIBRARIES:
        entry: dict[str, Any] = {"package": lib.name, "version": lib.version,
                                 "licence": lib.licence,
                                 "licence_text": f"licences/{lib.target}.txt"}
        if lib.entry:
            entry["custom_build"] = lib.parts
            entry["bundled"] = [{"package": name, "version": version, "licence": licence}
                                for name, version, licence in lib.bundled]
        entry["sha256"] = sha256(VENDOR / lib.target)
        found[lib.target] = entry
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify, change nothing")
    args = parser.parse_args()
    recorded_path = VENDOR / "manifest.json"
    if args.check:
        recorded = json.loads(recorded_path.read_text())
        if recorded != manifest():
            sys.exit("vendor/manifest.json does not match the files: run scripts/refresh_vendor.py")
        print("vendored files match manifest.json")
        return
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        for library in LIBRARIES:
            package = (custom_build(library, Path(work)) if library.entry
                       else fetch(library, Path(work)))
            install(library, package)
            print(f"{library.name} {library.version} -> vendor/{library.target}")
    recorded_path.write_text(json.dumps(manifest(), indent=2) + "\n")


if __name__ == "__main__":
    main()
