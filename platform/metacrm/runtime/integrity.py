"""Checks a write makes against other records: references point at records the
writer may read, and unique values are not taken."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Conflict
from ..compile.models import EntityModel
from ..i18n import message
from .access import Viewer

T = TypeVar("T")


def missing_references(conn: sa.Connection, viewer: Viewer, model: EntityModel,
                       values: Mapping[str, Any], ctx: Context) -> dict[str, list[str]]:
    """Per field, the referenced ids that are not live records the writer may read
    (or not users). A record outside the writer's scope is reported exactly like
    one that does not exist."""
    return missing_references_of(conn, viewer, model, [values], ctx)[0]


def missing_references_of(conn: sa.Connection, viewer: Viewer, model: EntityModel,
                          rows: Sequence[Mapping[str, Any]], ctx: Context
                          ) -> list[dict[str, list[str]]]:
    """``missing_references`` of each of ``rows`` (a bulk create, an import's batch):
    one statement per reference field for all of them, not one per record."""
    types = model.catalog.field_types
    named: list[list[tuple[str, set[Any]]]] = []  # each row's fields and the ids they name
    wanted: dict[str, set[Any]] = {}
    for values in rows:
        mine = []
        for name, value in values.items():
            field_def = model.entity.fields.get(name)
            if field_def is None or value is None or types.of(field_def).references is None:
                continue
            ids = set(value) if isinstance(value, list) else {value}
            if ids:
                mine.append((name, ids))
                wanted.setdefault(name, set()).update(ids)
        named.append(mine)
    found = {name: _existing(conn, viewer, model, name, ids, ctx)
             for name, ids in wanted.items()}
    result: list[dict[str, list[str]]] = []
    for mine in named:
        errors: dict[str, list[str]] = {}
        for name, ids in mine:
            noun, there = found[name]
            for missing in sorted(ids - there):
                errors.setdefault(name, []).append(message("not_found_ref", ctx.locale,
                                                           entity=noun, id=missing))
        result.append(errors)
    return result


def _existing(conn: sa.Connection, viewer: Viewer, model: EntityModel, name: str,
              wanted: set[Any], ctx: Context) -> tuple[str, set[Any]]:
    """What the field ``name`` refers to (as an error names it), and which of the
    ``wanted`` ids are records the writer may read (or users)."""
    field_def = model.entity.fields[name]
    if model.catalog.field_types.of(field_def).references == "user":
        # The caller was found when the request was authenticated: a field that
        # names them (`default: $user`, the common case) needs no query.
        found = {ctx.user_id} & wanted
        if wanted - found:
            table = viewer.compiled.tables.users
            found |= set(conn.execute(sa.select(table.c.id).where(
                table.c.id.in_(wanted - found))).scalars())
        return "user", found
    target = viewer.compiled.models[field_def.to or ""]
    table = target.table
    statement = sa.select(table.c.id).where(table.c.id.in_(wanted),
                                            table.c.deleted_at.is_(None))
    scope = viewer.read_condition(target)
    if scope is not None:
        statement = statement.where(scope)
    return target.entity.label.get(ctx.locale), set(conn.execute(statement).scalars())


_UNIQUE_SQLITE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_UNIQUE_POSTGRES = re.compile(r"Key \(([^)]*)\)=")


def unique_guard(action: Callable[[], T], ctx: Context) -> T:
    """Run ``action``; a unique violation becomes a 409 naming the field(s)."""
    try:
        return action()
    except sa.exc.IntegrityError as exc:
        text = str(exc.orig)
        match = _UNIQUE_SQLITE.search(text) or _UNIQUE_POSTGRES.search(text)
        if match is None or ("UNIQUE" not in text and "unique" not in text):
            raise
        fields = [part.strip().split(".")[-1].strip('"') for part in match.group(1).split(",")]
        raise Conflict({name: [message("unique", ctx.locale)] for name in fields}) from None
