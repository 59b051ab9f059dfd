#!/usr/bin/env python3
"""Refresh the browser libraries vendored into the package.

The web pages load htmx, Alpine.js (its CSP build), SortableJS and a CEL
interpreter from `platform/metacrm/web/static/vendor/`, so that `pip install`
stays the only install step and no page fetches anything from a CDN. This
script is the one way those files change: it downloads the pinned npm
packages with `npm pack` (development time only; needs npm), copies the
distributed file (or bundles an ES module package into one file with
esbuild), and rewrites `manifest.json` with each file's version, licence and
SHA-256, which a test compares with the files on disk.

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


LIBRARIES = (
    Library("htmx.org", "2.0.11", "0BSD", "dist/htmx.min.js", "htmx.min.js"),
    # The CSP build evaluates no strings as code, so the pages need no 'unsafe-eval'.
    Library("@alpinejs/csp", "3.17.4", "MIT", "dist/cdn.min.js", "alpine-csp.min.js",
            licence_file=None),
    Library("sortablejs", "1.15.7", "MIT", "Sortable.min.js", "sortable.min.js"),
    # Several ES modules in the package; one minified module for the browser.
    Library("@marcbachmann/cel-js", "8.0.0", "MIT", "lib/index.js", "cel.min.js", bundle=True),
)

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


def install(library: Library, package: Path) -> None:
    target = VENDOR / library.target
    if library.bundle:
        subprocess.run(["npx", "--yes", ESBUILD, library.source, "--bundle", "--format=esm",
                        "--minify", "--legal-comments=inline", f"--outfile={target}"],
                       cwd=package, check=True, capture_output=True)
    else:
        shutil.copyfile(package / library.source, target)
    licence = (package / library.licence_file).read_text() if library.licence_file \
        else ALPINE_LICENCE
    (VENDOR / "licences").mkdir(exist_ok=True)
    (VENDOR / "licences" / f"{library.target}.txt").write_text(licence)


def manifest() -> dict[str, dict[str, str]]:
    return {lib.target: {"package": lib.name, "version": lib.version, "licence": lib.licence,
                         "licence_text": f"licences/{lib.target}.txt",
                         "sha256": sha256(VENDOR / lib.target)} for lib in LIBRARIES}


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
            install(library, fetch(library, Path(work)))
            print(f"{library.name} {library.version} -> vendor/{library.target}")
    recorded_path.write_text(json.dumps(manifest(), indent=2) + "\n")


if __name__ == "__main__":
    main()
