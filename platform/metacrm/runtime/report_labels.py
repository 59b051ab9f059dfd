"""What a report's dimension values read as: an option's label, a user's name, a
referenced record's title (only of records the viewer may read), a period."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .access import Viewer
from .people import user_names
from .report_buckets import bucket_label, bucket_start
from .report_query import Dimension
from .sqlfunctions import among


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
        if viewer.people is not None:  # kept while the credentials version holds
            return viewer.people.names(wanted)
        return user_names(conn, viewer.compiled.tables.users, wanted)
    if target.kind.references == "record" and field is not None and field.to:
        return _titles(conn, viewer, field.to, wanted)
    return {v: _text(v) for v in wanted}


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
        among(conn.dialect.name, model.table.c.id, ids))
    scope = viewer.read_condition(model)
    if scope is not None:
        statement = statement.where(scope)
    found = {row[0]: str(row[1]) for row in conn.execute(statement)}
    return {i: found.get(i, f"#{i}") for i in ids}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
