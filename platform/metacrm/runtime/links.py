"""Multi-reference ids as a column: one correlated aggregate per link table.

Reading a record's tags in the same statement as the record saves a round
trip per request. The aggregate comes back as a JSON text (SQLite) or an
array (PostgreSQL); ``link_ids`` turns either into a sorted list.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from ..compile.models import EntityModel
from .sqlfunctions import id_array


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


def set_links(conn: sa.Connection, model: EntityModel, name: str,
              pairs: list[tuple[int, list[int] | None]]) -> None:
    """Insert link rows: each (source id, target ids) pair."""
    rows = [{"source_id": source, "target_id": target}
            for source, targets in pairs for target in sorted(set(targets or []))]
    if rows:
        conn.execute(model.link_tables[name].insert(), rows)
