"""The compiler's pure layers import no web framework, job queue or database session."""

from __future__ import annotations

import subprocess
import sys

PURE_MODULES = ["metacrm.definitions", "metacrm.load.documents", "metacrm.load.schema", "metacrm.build.entities",
                "metacrm.load.bundles", "metacrm.resolve.catalog", "metacrm.expressions",
                "metacrm.catalog_loader", "metacrm.compile.compiled", "metacrm.build.forms",
                "metacrm.resolve.forms", "metacrm.compile.forms"]


def test_pure_layers_do_not_pull_in_flask_or_rq() -> None:
    code = ("import sys\n"
            + "".join(f"import {m}\n" for m in PURE_MODULES)
            + "print(sorted(m for m in ('flask', 'rq', 'redis', 'werkzeug') if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert output == "[]"


def test_importing_metacrm_does_nothing_visible() -> None:
    code = "import metacrm, sys; print('flask' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert output == "False"
