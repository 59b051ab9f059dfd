"""Export every record a list query matches, as CSV, JSON lines or XLSX (written by
export_xlsx.py), in keyset batches.

However many records match, at most one batch is in memory: each batch is one
query continuing after the previous batch's last sort key. The batches read one
snapshot of the database (see ``hold_snapshot``), so records changed while the
export runs are neither skipped nor written twice. The caller sees what the
list would show them and no more: the records both their read and their
export grants reach, without the fields they may not see.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import BadQuery
from ..compile.models import EntityModel
from ..definitions import LANGUAGES
from ..i18n import message
from .access import Viewer
from .query import ListQuery, parse_list_query
from .reads import selected_columns, serialize_with_links
from .spreadsheet import XLSX_TYPE, inert

BATCH = 500
FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"),
           "json": ("application/x-ndjson; charset=utf-8", "jsonl"),
           "xlsx": (XLSX_TYPE, "xlsx")}
# Excel reads a CSV file as UTF-8 only when it starts with a byte order mark;
# without one, Chinese text turns into mojibake.
BOM = "\ufeff"
# List parameters an export has no use for: it pages by itself and writes plain values.
IGNORED = ("limit", "cursor", "expand", "count", "format", "lang")
TRAILING = ("version", "created_at", "created_by", "updated_at", "updated_by")


@dataclass(frozen=True)
class Export:
    """What to export: the entity, the parsed query, the columns, the records reached."""

    model: EntityModel
    query: ListQuery
    names: list[str]
    scope: sa.ColumnElement | None


def export_language(raw: str | None, ctx: Context) -> str:
    """The language of a file's labels: ``lang`` when it is one of ours (a page's link
    says the page's language), else the request's (``Accept-Language``)."""
    return raw if raw in LANGUAGES else ctx.locale


def export_format(raw: str | None, ctx: Context) -> str:
    fmt = (raw or "csv").lower()
    if fmt not in FORMATS:
        raise BadQuery(message("export_format", ctx.locale, format=raw), key="format")
    return fmt


def prepare_export(viewer: Viewer, model: EntityModel, args: Mapping[str, Sequence[str]],
                   ctx: Context) -> Export:
    """Check the caller may read and export the entity and parse the list query
    (filters, ``q``, ``sort``, ``fields``); a hidden field is as unknown as in a list."""
    access = viewer.of(model)
    access.require("read", ctx)
    access.require("export", ctx)
    wanted = {key: values for key, values in args.items() if key not in IGNORED}
    query = parse_list_query(wanted, model, viewer, model.entity.default_sort)
    names = list(dict.fromkeys(query.fields)) if query.fields else _all_names(model, viewer)
    return Export(model, query, names, export_scope(viewer, model))


def _all_names(model: EntityModel, viewer: Viewer) -> list[str]:
    """The id, the entity's own fields as defined, then the bookkeeping fields."""
    visible = viewer.types(model)
    own = [name for name in model.entity.fields if name in visible]
    return ["id", *own, *(name for name in TRAILING if name in visible)]


def export_scope(viewer: Viewer, model: EntityModel) -> sa.ColumnElement | None:
    """Records both the read and the export grants reach (a user with several roles
    may read more than they may export); the pool counts as it does for reading."""
    access = viewer.of(model)
    parts = [c for c in (access.condition("read"), access.condition("export")) if c is not None]
    return sa.and_(*parts) if parts else None


def hold_snapshot(conn: sa.Connection) -> None:
    """Make every batch read the same snapshot. SQLite's read transaction already
    does (the connection begins one on its first query and keeps it); PostgreSQL
    needs REPEATABLE READ, since by default each statement sees newer commits."""
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ")


def export_batches(conn: sa.Connection, export: Export, size: int | None = None
                   ) -> Iterator[list[dict[str, Any]]]:
    """The matching records in the query's order, ``size`` (default ``BATCH``) at a
    time, as the API shows them (lists for multi-references), with only ``export.names``."""
    size = size or BATCH
    model, query = export.model, export.query
    multi = {f.name for f in model.multi_references}
    columns = [n for n in export.names if n not in multi]
    links = [n for n in export.names if n in multi]
    selected = list(dict.fromkeys(columns + [k.name for k in query.sort]))
    conditions = [model.table.c.deleted_at.is_(None), *query.conditions]
    if export.scope is not None:
        conditions.append(export.scope)
    statement = (sa.select(*selected_columns(model, selected, links)).where(*conditions)
                 .order_by(*query.order_by()).limit(size))
    page = replace(query, after=None)
    while True:
        keyset = page.keyset_condition()
        rows = conn.execute(statement if keyset is None else statement.where(keyset)
                            ).mappings().all()
        if rows:
            yield [_ordered(serialize_with_links(model, row, columns, links), export.names)
                   for row in rows]
        if len(rows) < size:
            return
        last = rows[-1]
        page = replace(query, after=[key.position(last[key.name]) for key in query.sort])


def _ordered(record: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {name: record[name] for name in names}


def encode(export: Export, batches: Iterable[list[dict[str, Any]]], fmt: str
           ) -> Iterator[bytes]:
    """The export file, a batch at a time: CSV (with BOM and a header row) or JSON lines.
    A cell that looks like a formula gets a leading ``'`` (spreadsheet.inert): data
    typed in by outsiders (a web form's lead) must not become ``=HYPERLINK(…)``."""
    if fmt == "json":
        for batch in batches:
            yield b"".join(orjson.dumps(record, default=str) + b"\n" for record in batch)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(export.names)
    yield buffer.getvalue().encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([inert(_cell(record[name])) for name in export.names]
                         for record in batch)
        yield buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    """A value as spreadsheet text: empty for none, lists joined with ';'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(_cell(item) for item in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


def filename(model: EntityModel, fmt: str, ctx: Context) -> str:
    return f"{model.name}-{ctx.now:%Y-%m-%d}.{FORMATS[fmt][1]}"
