"""What a report's dimension values read as: an option's label, a user's name, a
referenced record's title (only of records the viewer may read), a period."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .access import Viewer
from .report_buckets import bucket_label, bucket_start
from .report_query import Dimension


def dimension_labels(conn: sa.Connection, viewer: Viewer, dimension: Dimension,
                     values: Iterable[Any], lang: str) -> dict[Any, str]:
    """Each of ``values`` (as the statement returned them) with its label."""
    wanted = {v for v in values if v is not None}
    target = dimension.target
    bucket = dimension.definition.bucket
    if bucket:
        return {v: bucket_label(start, bucket) for v in wanted
                if (start := bucket_start(v)) is not None}
    field = target.field
    catalog = target.model.catalog
    if field is not None and field.options and field.options in catalog.optionsets:
        options = catalog.optionsets[field.options]
        return {v: _option_label(options, v, lang) for v in wanted}
    if target.kind.references == "user":
        users = viewer.compiled.tables.users
        rows: Any = conn.execute(sa.select(users.c.id, users.c.name, users.c.username)
                                 .where(among(conn, users.c.id, wanted))) if wanted else []
        return {row.id: row.name or row.username for row in rows}
    if target.kind.references == "record" and field is not None and field.to:
        return _titles(conn, viewer, field.to, wanted)
    return {v: _text(v) for v in wanted}


def among(conn: sa.Connection, column: sa.ColumnElement, values: set[Any]
          ) -> sa.ColumnElement:
    """``column IN values``; on PostgreSQL one array parameter (``= ANY``): SQLAlchemy
    names and renders an expanding IN's parameters one by one, which for the 500
    owners of a pivot took longer than the statement."""
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(values),
                                              type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def _option_label(options: Any, value: Any, lang: str) -> str:
    option = next((o for o in options.options if o.value == value), None)
    return option.label.get(lang) if option is not None else str(value)


def _titles(conn: sa.Connection, viewer: Viewer, entity: str, ids: set[Any]
            ) -> dict[Any, str]:
    model = viewer.compiled.models[entity]
    title = model.entity.title
    if not ids or title is None or title not in viewer.types(model):
        return {i: f"#{i}" for i in ids}
    statement = sa.select(model.table.c.id, model.table.c[title]).where(
        among(conn, model.table.c.id, ids))
    scope = viewer.read_condition(model)
    if scope is not None:
        statement = statement.where(scope)
    found = {row[0]: str(row[1]) for row in conn.execute(statement)}
    return {i: found.get(i, f"#{i}") for i in ids}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
