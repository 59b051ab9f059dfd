"""Multi-reference ids as a column: one correlated aggregate per link table.

Reading a record's tags in the same statement as the record saves a round
trip per request. The aggregate differs by database (``array_agg`` on
PostgreSQL, ``json_group_array`` on SQLite), so it is a small SQL construct
compiled per dialect; ``link_ids`` turns either result into a sorted list.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from ..compile.models import EntityModel


class id_array(sa.sql.functions.GenericFunction):  # noqa: N801 (SQL function name)
    """Aggregate ids into one value: a JSON array text (SQLite) or an array (PostgreSQL)."""

    name = "id_array"
    inherit_cache = True


@compiles(id_array)
def _id_array_sqlite(element: id_array, compiler: Any, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(id_array, "postgresql")
def _id_array_postgresql(element: id_array, compiler: Any, **kw: Any) -> str:
    return f"array_agg({compiler.process(element.clauses, **kw)})"


def link_column(model: EntityModel, name: str) -> sa.ColumnElement:
    """The ids a record links to through ``name`` (live targets only), labelled ``name``."""
    return model.statement(f"links:{name}", lambda: _link_column(model, name))


def _link_column(model: EntityModel, name: str) -> sa.ColumnElement:
    link = model.link_tables[name]
    target_name = model.entity.fields[name].to or ""
    target = sa.table(target_name, sa.column("id"), sa.column("deleted_at"))
    return (
        sa.select(id_array(link.c.target_id))
        .join(target, target.c.id == link.c.target_id)
        .where(link.c.source_id == model.table.c.id, target.c.deleted_at.is_(None))
        .scalar_subquery()
        .label(name)
    )


def link_ids(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return sorted(v for v in value if v is not None)
