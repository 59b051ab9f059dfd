"""A list export as an Excel workbook: the CSV export's records (same batches, same
scope, same columns), written for people rather than for a re-import — headings are
the fields' labels, choices their option labels, references the title of the record
(or the user's name) the viewer may read, money and numbers numeric cells, dates real
dates (docs/transfer-and-export.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa

from ..definitions import Label
from ..fieldtypes import FieldType
from .access import Viewer
from .export import Export
from .reads import reach
from .spreadsheet import Moment, Workbook
from .user_directory import UserDirectory

Cell = Callable[[Any], Any]
# The bookkeeping columns' headings (the entity's own fields have labels).
SYSTEM_LABELS = {
    "id": Label.of({"en": "ID", "zh": "编号"}),
    "version": Label.of({"en": "Version", "zh": "版本"}),
    "created_at": Label.of({"en": "Created", "zh": "创建时间"}),
    "created_by": Label.of({"en": "Created by", "zh": "创建人"}),
    "updated_at": Label.of({"en": "Updated", "zh": "更新时间"}),
    "updated_by": Label.of({"en": "Updated by", "zh": "更新人"}),
}
NUMBER_TYPES = ("int", "decimal")


def xlsx_export(conn: sa.Connection, viewer: Viewer, export: Export,
                batches: Iterable[list[dict[str, Any]]], lang: str, sheet: str
                ) -> Iterator[bytes]:
    """The workbook of ``batches`` (records as ``export_batches`` gives them), written a
    batch at a time into a temporary file and then read out in pieces."""
    book = Workbook(sheet)
    try:
        columns = _columns(viewer, export, lang)
        book.header([label for label, _, _ in columns])
        for batch in batches:
            names = _Titles(conn, viewer, columns, batch)
            for record in batch:
                book.row([names.shown(how, record[name]) for _, name, how in columns])
    except BaseException:
        book.discard()
        raise
    yield from book.chunks()


def _columns(viewer: Viewer, export: Export, lang: str) -> list[tuple[str, str, Any]]:
    """(heading, field name, how a value becomes a cell or which titles it needs)."""
    model = export.model
    catalog = viewer.compiled.catalog
    types = viewer.types(model)
    found = []
    zone = catalog.settings.zone
    for name in export.names:
        field = model.entity.fields.get(name)
        kind = catalog.field_types.kind(types.get(name, "string"))
        label = field.label.get(lang) if field is not None else (
            SYSTEM_LABELS[name].get(lang) if name in SYSTEM_LABELS else name)
        how: Any
        if field is not None and field.options and field.options in catalog.optionsets:
            labels = {o.value: o.label.get(lang)
                      for o in catalog.optionsets[field.options].options}
            how = _choice(labels)
        elif kind is not None and kind.references == "user":
            how = ("user", None)
        elif kind is not None and kind.references == "record" and field is not None \
                and field.to in viewer.compiled.models:
            how = ("record", field.to)
        else:
            how = _converter(name, kind, catalog.settings.tzinfo)
        if kind is not None and kind.in_zone is not None:  # its cells' zone, in its heading
            label += f"（{zone}）" if lang == "zh" else f" ({zone})"
        found.append((label, name, how))
    return found


def _choice(labels: dict[str, str]) -> Cell:
    def cell(value: Any) -> Any:
        if isinstance(value, list):
            return "; ".join(labels.get(v, str(v)) for v in value)
        return labels.get(value, str(value))
    return cell


def _converter(name: str, kind: FieldType | None, zone: tzinfo) -> Cell:
    """How an API value of a field of ``kind`` becomes a typed cell (a moment as its wall
    time in ``zone``, the bundles' time zone, as an import reads it back)."""
    if name == "id":
        return int
    if kind is None:
        return _text
    if kind.item_type is not None:
        return _text
    if kind.name == "date":
        return lambda value: date.fromisoformat(str(value)[:10])
    if kind.name == "datetime" or kind.name.endswith("datetime"):
        return lambda value: _moment(value, zone)
    if kind.name == "boolean":
        return bool
    if kind.expression_type == "int":
        return lambda value: int(value) if not isinstance(value, bool) else value
    if kind.expression_type == "decimal":
        return lambda value: Decimal(str(value))
    return _text


def _moment(value: Any, zone: tzinfo) -> Any:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(
        str(value).replace("Z", "+00:00"))
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        return Moment(moment.astimezone(zone))
    except OverflowError:  # past the year 9999 there
        return Moment(moment.astimezone(UTC))


def _text(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_text(item)) for item in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return value if isinstance(value, (bool, int, Decimal)) else str(value)


class _Titles:
    """The titles a batch's references show, read in one statement per entity (and
    one for the users), each within what the viewer may read."""

    def __init__(self, conn: sa.Connection, viewer: Viewer,
                 columns: list[tuple[str, str, Any]], batch: list[dict[str, Any]]) -> None:
        wanted: dict[tuple[str, str | None], set[int]] = {}
        for _, name, how in columns:
            if isinstance(how, tuple):
                ids = wanted.setdefault(how, set())
                for record in batch:
                    value = record[name]
                    ids.update(v for v in (value if isinstance(value, list) else [value])
                               if isinstance(v, int) and not isinstance(v, bool))
        self._found: dict[tuple[str, str | None], dict[int, str]] = {}
        for (what, entity), ids in wanted.items():
            if what == "user":
                people = UserDirectory(conn, viewer.compiled.tables.users).get(ids)
                self._found[(what, entity)] = {i: info.name for i, info in people.items()}
            else:
                self._found[(what, entity)] = titles_of(conn, viewer, entity or "", ids)

    def shown(self, how: Any, value: Any) -> Any:
        if value is None or value == [] or value == "":
            return None
        if not isinstance(how, tuple):
            return how(value)
        titles = self._found.get(how, {})
        if isinstance(value, list):
            return "; ".join(titles.get(v) or f"#{v}" for v in value)
        return titles.get(value) or f"#{value}"


def titles_of(conn: sa.Connection, viewer: Viewer, entity: str, ids: Iterable[int]
              ) -> dict[int, str]:
    """The titles of the live records of ``entity`` among ``ids`` that the viewer may
    read (one out of reach, or with a hidden title, is left out: it shows its number)."""
    wanted = sorted(set(ids))
    target = viewer.compiled.models[entity]
    title = target.entity.title
    access = viewer.of(target)
    if not wanted or not access.allows("read") or not title or title in access.hidden \
            or title not in target.table.c:
        return {}
    table = target.table
    statement = sa.select(table.c.id, table.c[title]).where(
        table.c.id.in_(wanted), table.c.deleted_at.is_(None))
    scope = reach(access, "read")
    rows = conn.execute(statement if scope is None else statement.where(scope))
    return {record_id: str(text) for record_id, text in rows if text not in (None, "")}
