"""Write an export as an Excel workbook (XLSX) without holding it in memory, and the
spreadsheet rules CSV and XLSX share: which text a spreadsheet would run as a formula.

XlsxWriter's ``constant_memory`` mode writes each row to a temporary file as soon as
the next one starts, so memory does not grow with the rows; the workbook (a zip) is
assembled into a temporary file when it is closed, which is then read back in pieces
and deleted. Numbers are written from ``Decimal`` as decimal text (XlsxWriter formats
the value it is given with ``{:.16G}``), never through ``float``: the file holds
``1250000.10`` exactly, with a number format showing its decimals.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

CHUNK = 64 * 1024
# Excel keeps 15 significant digits; a decimal with more is written as text, exactly,
# rather than rounded without a word.
EXCEL_DIGITS = 15
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What makes a spreadsheet read a cell as a formula (see ``looks_like_formula``).
_FORMULA_STARTS = frozenset("=@\t\r")
_PLAIN_NUMBER = re.compile(r"[0-9 .()+\-]+")
_SHEET_NAME_REFUSES = re.compile(r"[\[\]:*?/\\']")
# What a file name may not hold on common systems, and what would break a header.
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;,]+')


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text``: it starts with ``=``, ``@``, a tab or a
    carriage return, or with ``+`` or ``-`` without being a plain number or phone
    number (only digits, spaces and ``.()+-``: "-12.50", "+86 21 5555 0000")."""
    return bool(text) and (text[0] in _FORMULA_STARTS or (
        text[0] in "+-" and not _PLAIN_NUMBER.fullmatch(text)))


def inert(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet will not run: a leading ``'`` when it looks
    like a formula (spreadsheets read it as "this is text" and do not show it)."""
    return "'" + text if looks_like_formula(text) else text


@dataclass(frozen=True)
class Ratio:
    """A share (0.2500) shown as a percentage (25.00%)."""

    value: Decimal


@dataclass(frozen=True)
class Moment:
    """A date-time shown as its wall time where it is (Excel's cells know no time zones:
    the exporter puts it in the bundles' time zone)."""

    value: datetime


class Workbook:
    """One sheet written row by row into a temporary file; ``close()`` then ``chunks()``."""

    def __init__(self, sheet_name: str) -> None:
        handle, self.path = tempfile.mkstemp(prefix="metacrm-export-", suffix=".xlsx")
        os.close(handle)
        self._book = xlsxwriter.Workbook(self.path, {"constant_memory": True,
                                                      "strings_to_formulas": False,
                                                      "strings_to_urls": False})
        self._sheet = self._book.add_worksheet(sheet_name_of(sheet_name))
        self._formats: dict[Any, Any] = {}
        self._row = 0
        self._closed = False

    def _format(self, key: Any, spec: dict[str, Any]) -> Any:
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = self._book.add_format(spec)
        return found

    def title(self, text: str) -> None:
        self._text(0, text, {"bold": True, "font_size": 13})
        self._row += 1

    def header(self, labels: Sequence[str], widths: Sequence[int] | None = None) -> None:
        """The column headings (bold, frozen while scrolling)."""
        for column, label in enumerate(labels):
            self._text(column, label, {"bold": True, "bottom": 1})
            width = widths[column] if widths else max(10, min(40, len(label) * 2 + 2))
            self._sheet.set_column(column, column, width)
        self._sheet.freeze_panes(self._row + 1, 0)
        self._row += 1

    def row(self, values: Sequence[Any], bold: bool = False) -> None:
        for column, value in enumerate(values):
            self._cell(column, value, bold)
        self._row += 1

    def skip(self) -> None:
        self._row += 1

    def _cell(self, column: int, value: Any, bold: bool) -> None:
        sheet, row = self._sheet, self._row
        weight = {"bold": True} if bold else {}
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value, self._format(("bool", bold), weight))
        elif isinstance(value, Ratio):
            sheet.write_number(row, column, value.value,
                               self._format(("ratio", bold), {"num_format": "0.00%", **weight}))
        elif isinstance(value, Moment):
            sheet.write_datetime(row, column, value.value.replace(tzinfo=None), self._format(
                ("moment", bold), {"num_format": "yyyy-mm-dd hh:mm:ss", **weight}))
        elif isinstance(value, datetime):
            sheet.write_datetime(row, column, value.replace(tzinfo=None), self._format(
                ("moment", bold), {"num_format": "yyyy-mm-dd hh:mm:ss", **weight}))
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, self._format(
                ("date", bold), {"num_format": "yyyy-mm-dd", **weight}))
        elif isinstance(value, int):
            sheet.write_number(row, column, value,
                               self._format(("int", bold), {"num_format": "#,##0", **weight}))
        elif isinstance(value, Decimal):
            self._decimal(column, value, weight)
        else:
            self._text(column, str(value), weight)

    def _decimal(self, column: int, value: Decimal, weight: dict[str, Any]) -> None:
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if not value.is_finite() or len(value.as_tuple().digits) > EXCEL_DIGITS:
            self._text(column, str(value), weight)
            return
        number_format = "#,##0" + ("." + "0" * places if places else "")
        # The Decimal itself goes in: written as its own digits, not through a float.
        self._sheet.write_number(self._row, column, value, self._format(
            ("decimal", places, bool(weight)), {"num_format": number_format, **weight}))

    def _text(self, column: int, text: str, spec: dict[str, Any]) -> None:
        """Text as text: never a formula (XlsxWriter would write "=..." as one), and one
        that looks like a formula marked with Excel's quote prefix, which keeps it text
        when someone edits the cell (the text itself is kept as it is)."""
        if looks_like_formula(text):
            spec = {**spec, "quote_prefix": True}
        self._sheet.write_string(self._row, column, text, self._format(
            tuple(sorted(spec.items())), spec) if spec else None)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._book.close()

    def chunks(self) -> Iterator[bytes]:
        """The finished file, a piece at a time; the temporary file is deleted after."""
        try:
            self.close()
            with open(self.path, "rb") as file:
                while piece := file.read(CHUNK):
                    yield piece
        finally:
            self.discard()

    def discard(self) -> None:
        """Delete the file (a workbook left unfinished, e.g. the client went away, is
        not assembled: its rows' own temporary files go when it is collected)."""
        self._closed = True
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def sheet_name_of(text: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\'``."""
    name = _SHEET_NAME_REFUSES.sub(" ", text).strip() or "Export"
    return name[:31]


def file_name(title: str, day: date, extension: str) -> str:
    """``<title>-<day>.<extension>``, the title cleaned of what a file name may not hold."""
    cleaned = " ".join(_UNSAFE_IN_NAMES.sub(" ", title).split())[:100] or "export"
    return f"{cleaned}-{day:%Y-%m-%d}.{extension}"
