"""SQL functions whose spelling differs between SQLite and PostgreSQL.

Each is a SQLAlchemy function element compiled per dialect, so query code
stays dialect-free: ``json_items(column)``, ``id_array(column)`` and
``joined_text(column, separator)``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles

from ..db import IdArrayText


def _spell(function: type, sqlite: str, postgresql: str) -> None:
    """Register how ``function(args)`` is written on each database."""

    def compile_default(element: Any, compiler: Any, **kw: Any) -> str:
        return f"{sqlite}({compiler.process(element.clauses, **kw)})"

    def compile_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
        return f"{postgresql}({compiler.process(element.clauses, **kw)})"

    compiles(function)(compile_default)
    compiles(function, "postgresql")(compile_postgresql)


class json_items(sa.sql.functions.GenericFunction):
    """The items of a JSON array as rows with a ``value`` column (use ``table_valued``)."""

    name = "json_items"
    inherit_cache = True


class id_array(sa.sql.functions.GenericFunction):
    """Aggregate ids into one value: a JSON array text (SQLite) or an array (PostgreSQL)."""

    name = "id_array"
    inherit_cache = True


class joined_text(sa.sql.functions.GenericFunction):
    """Aggregate texts into one, ``separator`` between them (two of them over the same
    rows join them in the same order)."""

    name = "joined_text"
    inherit_cache = True
    type = sa.Text()


_spell(json_items, sqlite="json_each", postgresql="jsonb_array_elements_text")
_spell(joined_text, sqlite="group_concat", postgresql="string_agg")
_spell(id_array, sqlite="json_group_array", postgresql="array_agg")


# From this many ids on, PostgreSQL gets them as one array parameter: a long IN list
# costs more to render, send and plan than the statement itself.
ARRAY_FROM = 16


def among(dialect: str, column: sa.ColumnElement, values: Collection[Any]
          ) -> sa.ColumnElement:
    """``column IN values`` on a database ``dialect`` names; on PostgreSQL, from
    ARRAY_FROM values on, one array parameter (``= ANY``): SQLAlchemy names and renders
    an expanding IN's parameters one by one, which for the 500 owners of a pivot took
    longer than the statement. Ids go as the array's text (db.IdArrayText says why)."""
    if dialect != "postgresql" or len(values) < ARRAY_FROM:
        return column.in_(values)
    if isinstance(column.type, sa.Integer):
        text = "{" + ",".join(map(str, map(int, values))) + "}"
        return column == sa.any_(sa.bindparam(None, IdArrayText(text),
                                              type_=sa.types.NullType()))
    return column == sa.any_(sa.bindparam(None, list(values),
                                          type_=postgresql.ARRAY(column.type)))
