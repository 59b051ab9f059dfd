"""Every text of the pages has a Chinese translation, and the compiled catalog the
package ships is the one its .po file says (pip install compiles nothing)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import metacrm

UI = Path(metacrm.__file__).parent / "ui"
ZH = Path(metacrm.__file__).parent / "translations/zh/LC_MESSAGES"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _ids(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id[0] if isinstance(message_id, (list, tuple)) else message_id


def test_every_text_of_the_pages_is_translated_to_chinese() -> None:
    catalog = read_po((ZH / "messages.po").open("rb"))
    translated = {_ids(m.id): m.string for m in catalog if m.id}
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    used = {_ids(found[2]) for found in extract_from_dir(str(UI), METHODS, keywords=keywords)}
    assert used, "no texts found: is the extraction configuration right?"
    missing = sorted(text for text in used if not translated.get(text))
    assert not missing, f"run scripts/translations.py update and translate: {missing}"


def test_the_shipped_catalog_is_compiled_from_the_po_file() -> None:
    def texts(catalog):  # type: ignore[no-untyped-def]
        return {_ids(m.id): tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string
                for m in catalog if m.id}

    source = texts(read_po((ZH / "messages.po").open("rb")))
    compiled = texts(read_mo((ZH / "messages.mo").open("rb")))
    assert compiled == source, "run scripts/translations.py compile"
