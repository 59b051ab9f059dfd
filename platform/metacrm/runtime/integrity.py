"""Checks a write makes against other records: references point at records the
writer may read, and unique values are not taken."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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
    compiled = viewer.compiled
    types = model.catalog.field_types
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        field_def = model.entity.fields.get(name)
        if field_def is None or value is None:
            continue
        references = types.of(field_def).references
        if references is None:
            continue
        wanted = set(value) if isinstance(value, list) else {value}
        if not wanted:
            continue
        if references == "user":
            # The caller was found when the request was authenticated: a field that
            # names them (`default: $user`, the common case) needs no query.
            found = {ctx.user_id} & wanted
            if wanted - found:
                table = compiled.tables.users
                found |= set(conn.execute(sa.select(table.c.id).where(
                    table.c.id.in_(wanted - found))).scalars())
            noun = "user"
        else:
            target = compiled.models[field_def.to or ""]
            table = target.table
            statement = sa.select(table.c.id).where(table.c.id.in_(wanted),
                                                    table.c.deleted_at.is_(None))
            scope = viewer.read_condition(target)
            if scope is not None:
                statement = statement.where(scope)
            found = set(conn.execute(statement).scalars())
            noun = target.entity.label.get(ctx.locale)
        for missing in sorted(wanted - found):
            errors.setdefault(name, []).append(message("not_found_ref", ctx.locale,
                                                       entity=noun, id=missing))
    return errors


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
