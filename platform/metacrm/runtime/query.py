"""Compile a list request's query parameters into SQL conditions and ordering.

Everything a client can ask (filters, also through references; search; sort;
keyset cursor, see keyset.py; field selection; expansion) becomes SQLAlchemy Core
expressions run by the database. Anything malformed is a ``BadQuery`` naming
the parameter and saying what is expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..base.problems import BadQuery, Forbidden
from ..base.words import with_article
from ..compile.models import EntityModel
from ..errors import did_you_mean
from ..fieldtypes import ExactNumeric, FieldType
from ..values import fit_column_integer, fit_decimal, parse_integer_text, parse_text
from .access import Viewer
from .keyset import SortKey, after_condition, decode_cursor, encode_cursor
from .rows import Row
from .sqlfunctions import json_items

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startswith", "isnull")
LIST_PARAMETERS = ("sort", "limit", "cursor", "q", "fields", "expand", "count")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_IN_VALUES = 1000
MAX_DEPTH = 4


@dataclass
class ListQuery:
    conditions: list[sa.ColumnElement] = field(default_factory=list)
    sort: list[SortKey] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    after: list[Any] | None = None
    fields: list[str] | None = None
    expand: list[list[str]] = field(default_factory=list)
    count: bool = False

    def order_by(self) -> list[sa.ColumnElement]:
        return self.ordering([k.column for k in self.sort])

    def ordering(self, columns: Sequence[sa.ColumnElement]) -> list[sa.ColumnElement]:
        """The sort applied to ``columns``, one per leading sort key (a subquery's
        columns, or just an owner column sorted the way the first key is)."""
        # NULLs sort as the largest value on both databases (PostgreSQL's own
        # convention, so its indexes serve the order).
        return [c.desc().nulls_first() if k.descending else c.asc().nulls_last()
                for k, c in zip(self.sort, columns, strict=False)]

    def keyset_condition(self, named: bool = False) -> sa.ColumnElement | None:
        """The rows after the cursor's row (None without a cursor). ``named``: its
        values are the bound parameters ``after_<i>`` (see keyset_parameters), so that
        a statement built once serves every page; the condition then differs only by
        which values are empty (keyset_shape)."""
        if self.after is None:
            return None
        return after_condition(self.sort, self.after, named)

    def keyset_shape(self) -> tuple[bool, ...] | None:
        """What a named keyset condition depends on besides its values."""
        return None if self.after is None else tuple(v is None for v in self.after)

    def keyset_parameters(self) -> dict[str, Any]:
        """The values of a named keyset condition."""
        return {f"after_{i}": value for i, value in enumerate(self.after or ())
                if value is not None}

    def cursor_for(self, row: Row) -> str:
        return encode_cursor(self.sort, row)


def parse_list_query(args: Mapping[str, Sequence[str]], model: EntityModel, viewer: Viewer,
                     default_sort: Sequence[str] = ()) -> ListQuery:
    """The query a client asks for, in terms of what the caller may see: a hidden
    field is as unknown as a misspelt one, and a filter through a reference
    reaches only the referenced records the caller may read."""
    errors: dict[str, list[str]] = {}
    unknown = forbidden = False
    query = ListQuery()
    for key, values in args.items():
        if key in LIST_PARAMETERS:
            if len(values) > 1:
                errors.setdefault(key, []).append(f"'{key}' is given {len(values)} times")
            continue
        for raw in values:
            try:
                query.conditions.append(_filter(key, raw, model, viewer))
            except ValueError as exc:
                unknown = unknown or isinstance(exc, UnknownName)
                forbidden = forbidden or isinstance(exc, NotReadable)
                errors.setdefault(key, []).append(str(exc))
    single = {k: args[k][-1] for k in LIST_PARAMETERS if args.get(k)}
    # Each parameter sets one part of the query; sort always applies (the default).
    setters: dict[str, Callable[[str], None]] = {
        "limit": lambda raw: setattr(query, "limit", parse_limit(raw)),
        "sort": lambda raw: setattr(query, "sort", _sort(raw or None, model, viewer,
                                                         default_sort)),
        "q": lambda raw: query.conditions.append(_search(raw, model, viewer)) if raw else None,
        "fields": lambda raw: setattr(query, "fields", _fields(raw, model, viewer)),
        "expand": lambda raw: setattr(query, "expand", _expand(raw, model, viewer)),
        "count": lambda raw: setattr(query, "count", parse_text("boolean", raw)),
    }
    for name, apply in setters.items():
        if name not in single and name != "sort":
            continue
        try:
            apply(single.get(name, ""))
        except ValueError as exc:
            unknown = unknown or isinstance(exc, UnknownName)
            forbidden = forbidden or isinstance(exc, NotReadable)
            errors.setdefault(name, []).append(str(exc))
    if "cursor" in single and "sort" not in errors:
        try:
            query.after = decode_cursor(single["cursor"], query.sort, model.catalog.field_types)
        except ValueError as exc:
            errors.setdefault("cursor", []).append(str(exc))
    if errors:
        if forbidden:
            raise Forbidden(errors)
        raise BadQuery(errors, names_unknown=unknown)
    return query


def parse_limit(raw: str) -> int:
    """A page size from a query string: 1 to MAX_LIMIT; ValueError says why not."""
    try:
        value = parse_integer_text(raw)
    except ValueError:
        raise ValueError(f"'{raw}' is not a whole number (1–{MAX_LIMIT})") from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {value}")
    return value


class UnknownName(ValueError):
    """A query names a field the entity does not have (or the caller may not see)."""


class NotReadable(ValueError):
    """A query goes through a reference to records the caller may not read."""


def _unknown(name: str, model: EntityModel, viewer: Viewer) -> ValueError:
    return UnknownName(f"unknown field '{name}' of '{model.name}'"
                      f"{did_you_mean(name, list(viewer.types(model)))}")


def _readable(target: EntityModel, viewer: Viewer, via: str) -> None:
    if not viewer.can_read(target):
        raise NotReadable(f"'{via}' leads to {target.name} records, which you may not read")


def filter_condition(key: str, raw: str, model: EntityModel, viewer: Viewer
                     ) -> sa.ColumnElement:
    """One filter of the list grammar (``key=raw`` of a query string, ``key`` perhaps a
    path through references) as SQL, as the caller may see; ValueError says why not."""
    return _filter(key, raw, model, viewer)


def _filter(key: str, raw: str, model: EntityModel, viewer: Viewer) -> sa.ColumnElement:
    _refuse_nul(raw)
    path_text, _, op = key.partition("__")
    op = op or "eq"
    if op not in OPERATORS:
        raise ValueError(f"unknown operator '{op}'{did_you_mean(op, OPERATORS)}; operators: "
                         + ", ".join(OPERATORS))
    path = path_text.split(".")
    if len(path) > MAX_DEPTH:
        raise ValueError(f"a filter may follow at most {MAX_DEPTH - 1} references")
    return _path_condition(path, op, raw, model, viewer)


def _path_condition(path: list[str], op: str, raw: str, model: EntityModel, viewer: Viewer
                    ) -> sa.ColumnElement:
    name = path[0]
    kind = viewer.types(model).get(name)
    if kind is None:
        raise _unknown(name, model, viewer)
    if len(path) == 1:
        return _condition(model, name, kind, op, raw)
    field_def = model.entity.fields.get(name)
    models = viewer.compiled.models
    references = model.catalog.field_types[kind].references
    if references != "record" or field_def is None or field_def.to not in models:
        raise ValueError(f"'{name}' is not a reference: '.' follows references only")
    target = models[field_def.to]
    _readable(target, viewer, name)
    inner = _path_condition(path[1:], op, raw, target, viewer)
    subquery = sa.select(target.table.c.id).where(target.table.c.deleted_at.is_(None), inner)
    scope = viewer.read_condition(target)
    if scope is not None:
        subquery = subquery.where(scope)
    return model.table.c[name].in_(subquery)


def _condition(model: EntityModel, name: str, kind: str, op: str, raw: str
               ) -> sa.ColumnElement:
    field_type = model.catalog.field_types[kind]
    if op in ("eq", "ne", "in", "contains"):
        _refuse_unknown_options(model, name, raw.split(",") if op == "in" else [raw])
    if op == "isnull":
        empty = parse_text("boolean", raw)
        if field_type.item_type is not None:
            present = _multi_contains(model, name, kind, None)
            return ~present if empty else present
        column = model.table.c[name]
        return column.is_(None) if empty else column.is_not(None)
    if field_type.item_type is not None:
        return _multi_condition(model, name, field_type, op, raw)
    if field_type.operators == ("isnull",):
        raise ValueError(f"'{name}' is a {kind} field: only isnull applies")
    column = model.table.c[name]
    if op == "in":
        items = [item for item in raw.split(",")]
        if len(items) > MAX_IN_VALUES:
            raise ValueError(f"at most {MAX_IN_VALUES} values in 'in'")
        return column.in_([_typed(field_type, item, name, column) for item in items])
    if op in ("contains", "startswith"):
        if op not in field_type.operators:
            raise ValueError(f"'{op}' applies to text fields; '{name}' is "
                             f"{with_article(kind)} field")
        if op == "contains":
            return column.icontains(raw, autoescape=True)
        return column.istartswith(raw, autoescape=True)
    value = _typed(field_type, raw, name, column)
    if op not in field_type.operators:
        raise ValueError(f"'{op}' does not apply to {with_article(kind)} field")
    return {
        "eq": lambda: column == value, "ne": lambda: sa.or_(column != value, column.is_(None)),
        "gt": lambda: column > value, "gte": lambda: column >= value,
        "lt": lambda: column < value, "lte": lambda: column <= value,
    }[op]()


def _refuse_unknown_options(model: EntityModel, name: str, raws: Sequence[str]) -> None:
    """A choice is filtered by its option values: another value would silently match
    nothing (a misspelt or translated value), so it is refused, with the values."""
    field_def = model.entity.fields.get(name)
    if field_def is None or not field_def.options:
        return
    values = model.catalog.optionsets[field_def.options].values()
    unknown = [raw for raw in raws if raw not in values]
    if unknown:
        raise ValueError(f"{name}: '{unknown[0]}' is not one of its options: "
                         f"{', '.join(values)}")


def _typed(kind: FieldType, raw: str, name: str, column: sa.ColumnElement | None = None
           ) -> Any:
    """``raw`` as a value of the field; one its column cannot hold (a decimal past its
    digits) is refused too: on SQLite it would be rounded to the column's scale."""
    try:
        value = kind.parse(raw)
        shape = getattr(column, "type", None)
        if isinstance(value, Decimal) and isinstance(shape, ExactNumeric):
            value = fit_decimal(value, shape.precision, shape.scale)
        return fit_column_integer(value, shape)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _multi_condition(model: EntityModel, name: str, field_type: FieldType, op: str, raw: str
                     ) -> sa.ColumnElement:
    kind = field_type.name
    if op not in field_type.operators:
        raise ValueError(f"'{op}' does not apply to a {kind} field; use "
                         f"{', '.join(field_type.operators)}")
    if op in ("eq", "contains"):
        return _multi_contains(model, name, kind, [_typed(field_type, raw, name)])
    if op == "ne":
        return ~_multi_contains(model, name, kind, [_typed(field_type, raw, name)])
    return _multi_contains(model, name, kind,
                           [_typed(field_type, item, name) for item in raw.split(",")])


def _multi_contains(model: EntityModel, name: str, kind: str, values: list[Any] | None
                    ) -> sa.ColumnElement:
    """Records whose list holds any of ``values`` (or anything, for None)."""
    if name in model.link_tables:
        link = model.link_tables[name]
        target = model.catalog.entities[model.entity.fields[name].to or ""]
        live = sa.table(target.name, sa.column("id"), sa.column("deleted_at"))
        inner = (sa.select(link.c.source_id)
                 .join(live, live.c.id == link.c.target_id)
                 .where(link.c.source_id == model.table.c.id, live.c.deleted_at.is_(None)))
        if values is not None:
            inner = inner.where(link.c.target_id.in_(values))
        return sa.exists(inner)
    column = model.table.c[name]
    elements = json_items(column).table_valued("value")
    inner = sa.select(sa.literal(1)).select_from(elements)
    if values is not None:
        inner = inner.where(elements.c.value.in_(values))
    return sa.exists(inner)


def _refuse_nul(raw: str) -> None:
    if "\x00" in raw:
        raise ValueError("NUL characters are not allowed in a query")


def _search(text: str, model: EntityModel, viewer: Viewer) -> sa.ColumnElement:
    _refuse_nul(text)
    declared = model.entity.search or ((model.entity.title,) if model.entity.title else ())
    # Searching a hidden field would reveal its values one guess at a time.
    names = [n for n in declared if n in viewer.types(model)]
    if not names:
        raise ValueError(f"'{model.name}' has no search fields" + (
            " you may see" if declared else ""))
    return sa.or_(*[model.table.c[n].icontains(text, autoescape=True) for n in names])


def _sort(raw: str | None, model: EntityModel, viewer: Viewer, default: Sequence[str]
          ) -> list[SortKey]:
    types = viewer.types(model)
    parts = [p.strip() for p in raw.split(",") if p.strip()] if raw else [
        key for key in default if key.lstrip("-") in types]  # a hidden default sort is dropped
    keys: list[SortKey] = []
    for part in parts:
        descending = part.startswith("-")
        name = part.lstrip("-+")
        kind = types.get(name)
        if kind is None:
            raise _unknown(name, model, viewer)
        ordering = model.catalog.field_types[kind].ordering
        if ordering == "none":
            raise ValueError(f"cannot sort by '{name}', {with_article(kind)} field")
        if any(k.name == name for k in keys):
            raise ValueError(f"'{name}' is sorted twice")
        field_def = model.entity.fields.get(name)
        if ordering == "options" and field_def is not None and field_def.options:
            values = model.catalog.optionsets[field_def.options].values()
            ordinals = {value: rank for rank, value in enumerate(values)}
            column = sa.case(ordinals, value=model.table.c[name], else_=len(values))
            keys.append(SortKey(name, column, "integer", descending, ordinals))
            continue
        keys.append(SortKey(name, model.table.c[name], kind, descending))
    if not any(k.name == "id" for k in keys):
        last_descending = keys[-1].descending if keys else True
        keys.append(SortKey("id", model.table.c.id, "integer", last_descending))
    return keys


def _fields(raw: str, model: EntityModel, viewer: Viewer) -> list[str]:
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name not in viewer.types(model):
            raise _unknown(name, model, viewer)
    return names


def _expand(raw: str, model: EntityModel, viewer: Viewer) -> list[list[str]]:
    models = viewer.compiled.models
    paths = []
    for item in (p.strip() for p in raw.split(",") if p.strip()):
        path = item.split(".")
        if len(path) > 2:
            raise ValueError(f"'{item}': expansion goes at most two references deep")
        current: EntityModel | None = model
        for name in path:
            if current is None:
                raise ValueError(f"'{item}': a user expands to its summary, not further")
            kind = viewer.types(current).get(name)
            if kind is None:
                raise _unknown(name, current, viewer)
            if current.catalog.field_types[kind].references is None:
                raise ValueError(f"'{name}' is {with_article(kind)} field; only references expand")
            field_def = current.entity.fields.get(name)
            current = models[field_def.to] if field_def is not None and field_def.to else None
            if current is not None:
                _readable(current, viewer, item)
        paths.append(path)
    return paths
