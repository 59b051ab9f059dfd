#!/usr/bin/env python3
"""Keep the UI's gettext catalogs in step with the code.

    python scripts/translations.py update    # extract texts, merge into every .po
    python scripts/translations.py compile   # .po -> .mo (committed: pip install compiles nothing)

Translators edit platform/metacrm/translations/<lang>/LC_MESSAGES/messages.po;
a test fails when a text has no Chinese translation or a .mo is older than its .po.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "platform/metacrm/translations"
TEMPLATE = CATALOGS / "messages.pot"
LANGUAGES = ("zh",)  # English is the source language


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT,
                   check=True)


def update() -> None:
    CATALOGS.mkdir(parents=True, exist_ok=True)
    pybabel("extract", "-F", "babel.cfg", "-k", "lazy_gettext", "--no-location", "--sort-output",
            "-o", str(TEMPLATE), "platform/metacrm/ui")
    for language in LANGUAGES:
        po = CATALOGS / language / "LC_MESSAGES/messages.po"
        if po.exists():
            pybabel("update", "-i", str(TEMPLATE), "-d", str(CATALOGS), "-l", language,
                    "--no-fuzzy-matching")
        else:
            pybabel("init", "-i", str(TEMPLATE), "-d", str(CATALOGS), "-l", language)


def compile_catalogs() -> None:
    pybabel("compile", "-d", str(CATALOGS), "--statistics")


if __name__ == "__main__":
    {"update": update, "compile": compile_catalogs}[sys.argv[1] if len(sys.argv) > 1 else ""]()
