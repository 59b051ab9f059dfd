"""Read a CSV or XLSX file as a header and a stream of rows, never the whole file.

A CSV file may come in any encoding people's tools write: UTF-8 with or without
a byte order mark, UTF-16 (Excel's "Unicode text"), or GBK/GB18030 as Chinese
Excel saves "CSV (comma delimited)". The encoding is found by reading the file
once as UTF-8 and, if that fails, as GB18030 (a superset of GBK and GB2312);
both passes stream. An XLSX workbook's first sheet is read with python-calamine,
which gives dates as dates and numbers as numbers, row by row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 1 << 16
# Tried in this order on the whole file; the first that decodes every byte wins.
ENCODINGS = ("utf-8", "gb18030")
XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


class UnreadableFile(ValueError):
    """The file is no CSV or workbook this importer reads; the message says why."""


@dataclass(frozen=True)
class Sheet:
    """A file's header (its first non-empty row) and the kind it was read as."""

    path: Path
    kind: str  # "csv" or "xlsx"
    encoding: str | None
    header: tuple[str, ...]

    def rows(self, start: int = 0) -> Iterator[tuple[int, list[Any]]]:
        """``(row number as a spreadsheet shows it, cells)`` after the header, from the
        row numbered above ``start``; blank rows are passed as empty lists."""
        source = _csv_rows(self.path, self.encoding or "utf-8") if self.kind == "csv" \
            else _xlsx_rows(self.path)
        seen_header = False
        for number, cells in source:
            if not seen_header:
                if _blank(cells):
                    continue
                seen_header = True
                continue
            if number <= start:
                continue
            yield number, [] if _blank(cells) else cells


def open_sheet(path: str | Path, filename: str | None = None) -> Sheet:
    """Find the file's kind, encoding and header. ``filename``: the name the file had
    when uploaded (its suffix tells a workbook from a CSV file)."""
    path = Path(path)
    name = (filename or path.name).lower()
    if name.endswith(XLSX_SUFFIXES) or _is_zip(path):
        kind, encoding = "xlsx", None
        source = _xlsx_rows(path)
    else:
        kind, encoding = "csv", detect_encoding(path)
        source = _csv_rows(path, encoding)
    for _, cells in source:
        if not _blank(cells):
            header = tuple(str(c).strip() if c is not None else "" for c in cells)
            return Sheet(path, kind, encoding, header)
    raise UnreadableFile(f"{name}: the file is empty (no header row)")


def detect_encoding(path: Path) -> str:
    """The encoding of a text file: a byte order mark decides; otherwise the first of
    ENCODINGS that decodes the whole file (read in chunks)."""
    with path.open("rb") as raw:
        start = raw.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ENCODINGS:
        if _decodes(path, encoding):
            return encoding
    raise UnreadableFile(f"{path.name}: not UTF-8, UTF-16 or GBK/GB18030 text; save it as "
                         "CSV UTF-8 and try again")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as raw:
        try:
            while chunk := raw.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    with path.open("r", encoding=encoding, newline="") as text:
        dialect = _dialect(text)
        number = 0
        for cells in csv.reader(text, dialect):
            number += 1
            yield number, list(cells)


def _dialect(text: io.TextIOBase) -> type[csv.Dialect] | csv.Dialect:
    """Comma unless the header says semicolon or tab (European Excel, TSV)."""
    sample = text.read(CHUNK)
    text.seek(0)
    first = sample.splitlines()[0] if sample else ""
    for delimiter in ("\t", ";"):
        if first.count(delimiter) > first.count(","):
            class Other(csv.excel):
                pass
            Other.delimiter = delimiter
            return Other
    return csv.excel


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine's errors name no common base class
        raise UnreadableFile(f"{path.name}: not a workbook this importer reads ({exc})") \
            from None
    # iter_rows streams; the rows start at the sheet's first used row, which
    # start() gives (0-based), so that numbers match what a spreadsheet shows.
    first = sheet.start[0] if sheet.start else 0
    for offset, cells in enumerate(sheet.iter_rows()):
        yield first + offset + 1, [None if c == "" else c for c in cells]


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _is_zip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(4) == b"PK\x03\x04"
