"""A report's answer (runtime/reports.py) as a file: CSV or XLSX, one row per row of
the answer, the dimensions' labels in the viewer's language, then the measures, then
the grand total. A report is a few hundred rows at most (its groups), so the answer is
run once and then written; an XLSX still goes through a temporary file and is read out
in pieces (spreadsheet.Workbook)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..base.context import Context
from ..base.problems import BadQuery
from ..definitions.reports import PERIODS, RATIO
from ..i18n import message
from .export import BOM
from .spreadsheet import XLSX_TYPE, Ratio, Workbook, inert

FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"), "xlsx": (XLSX_TYPE, "xlsx")}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def report_format(raw: str | None, ctx: Context) -> str:
    fmt = (raw or "csv").lower()
    if fmt not in FORMATS:
        raise BadQuery(message("report_export_format", ctx.locale, format=raw), key="format")
    return fmt


def report_table(answer: dict[str, Any], lang: str
                 ) -> tuple[list[str], list[list[Any]], list[Any] | None]:
    """(headings, rows, total row or None) with typed cells: Decimal, int, date, Ratio
    for a share, text for labels."""
    dimensions = answer["dimensions"]
    columns = answer["columns"]
    headings = [d["label"] for d in dimensions] + [c["label"] for c in columns]
    empty = message("report_empty", lang)
    count = len(dimensions)
    rows = []
    for row in answer["rows"]:
        keys = [dimension["values"][index]["label"] for dimension, index
                in zip(dimensions, row, strict=False)]
        rows.append([empty if key is None else key for key in keys]
                    + [_cell(c, value) for c, value in zip(columns, row[count:], strict=True)])
    total = None
    if answer.get("totals") and dimensions:
        total = [message("report_total", lang)] + [""] * (len(dimensions) - 1) + [
            _cell(c, answer["totals"]["all"].get(c["name"])) for c in columns]
    return headings, rows, total


def _cell(column: dict[str, Any], value: Any) -> Any:
    if value is None:
        return None
    if column["aggregate"] == RATIO:
        return Ratio(Decimal(str(value)))
    if isinstance(value, (int, Decimal)):
        return value
    if isinstance(value, float):  # an average of an integer field on some databases
        return Decimal(str(value))
    if isinstance(value, str) and _DAY.fullmatch(value):
        return date.fromisoformat(value)
    if isinstance(value, str) and _DAY.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def report_csv(answer: dict[str, Any], lang: str) -> bytes:
    """The table as CSV (UTF-8 with a byte order mark, for Excel): numbers as exact
    decimal text, a share as a decimal (0.2500), days in ISO 8601."""
    headings, rows, total = report_table(answer, lang)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow([inert(h) for h in headings])
    for row in [*rows, *([total] if total else [])]:
        writer.writerow([_text(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Ratio):
        return str(value.value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return inert(str(value))


def report_xlsx(answer: dict[str, Any], lang: str, now: datetime) -> Iterator[bytes]:
    """The workbook: the report's title, its parameters and when it ran, then the table
    with its total in bold."""
    headings, rows, total = report_table(answer, lang)
    book = Workbook(answer["label"])
    try:
        book.title(answer["label"])
        settings = "; ".join(setting_text(p, lang) for p in answer["parameters"])
        book.row([settings or None])
        book.row([message("report_as_of", lang, moment=f"{now:%Y-%m-%d %H:%M}")])
        book.skip()
        book.header(headings)
        for row in rows:
            book.row(row)
        if total:
            book.row(total, bold=True)
    except BaseException:
        book.discard()
        raise
    return book.chunks()


def setting_text(parameter: dict[str, Any], lang: str) -> str:
    """One parameter as set: ``Period: this year (2026-01-01 – 2026-12-31)``."""
    value = parameter.get("value")
    shown = message(f"period_{value}", lang) if value in PERIODS else value
    if parameter.get("from") or parameter.get("to"):
        span = f"{parameter.get('from') or '…'} – {parameter.get('to') or '…'}"
        shown = f"{shown} ({span})" if shown and value in PERIODS else span
    return f"{parameter['label']}: {shown or '—'}"
