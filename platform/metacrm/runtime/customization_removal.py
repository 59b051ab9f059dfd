"""Remove a runtime customization, and restore a removed one.

A removed customization leaves the definitions of every process (the schema
version is raised, as when one is added) but stays in ``mc_customizations``,
marked, so that it can be restored under its number. Removing is a migration
like any other: what only the customization defined (a column, an index) is
dropped, and dropping a column deletes its values, so that needs the same
explicit ``allow_destructive`` as ``metacrm migrate --allow-destructive``.
A customization that a later one builds on (a field the later one indexes, a
role it extends) cannot be removed before it: the refusal names the later one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base.context import Context
from ..base.problems import Conflict, Invalid, NotFound
from ..compile.compiled import Compiled, compile_catalog
from ..errors import DefinitionError
from ..migrate import configured_timeouts, migration_session, plan_migration_in
from ..migrate.actions import Refusal
from ..platform import CUSTOMIZATIONS, SCHEMA_STATE, Platform, read_customizations
from .customize import apply_customization_plan, definition_errors, undo_pending
from .derived_refresh import refresh_derived


def remove_customization(platform: Platform, ctx: Context, customization_id: int, *,
                         allow_destructive: bool = False) -> tuple[dict[str, Any], Compiled,
                                                                   list[str]]:
    """Remove it; (its document, the program without it, the schema changes made)."""
    timeouts = configured_timeouts(platform.settings)
    with migration_session(platform.engine) as conn:
        assert conn is not None
        undo_pending(conn, timeouts)
        with conn.begin():
            version, stored = _locked_customizations(platform, conn)
            document = dict(stored).get(customization_id)
            if document is None:
                raise _unknown(conn, customization_id)
            rest = [(cid, doc) for cid, doc in stored if cid != customization_id]
            try:
                catalog = platform.load(rest)
            except DefinitionError as exc:
                raise Conflict(_still_needed(exc, customization_id)) from None
            fresh = compile_catalog(catalog, version + 1)
            plan = plan_migration_in(conn, fresh.metadata, allow_destructive=allow_destructive)
            if plan.refusals:
                raise Conflict(_refused(customization_id, plan.refusals))
            apply_customization_plan(conn, plan, f"removal of customization #{customization_id}",
                                     timeouts, record=True)
            _mark(conn, fresh, customization_id, removed=True, ctx=ctx)
    platform.adopt(fresh)
    refresh_derived(platform.engine, fresh)
    return document, fresh, plan.explain()


def restore_customization(platform: Platform, ctx: Context, customization_id: int
                          ) -> tuple[dict[str, Any], Compiled, list[str]]:
    """Bring a removed customization back under its number; what its removal dropped
    comes back empty (the values went with it)."""
    timeouts = configured_timeouts(platform.settings)
    with migration_session(platform.engine) as conn:
        assert conn is not None
        undo_pending(conn, timeouts)
        with conn.begin():
            version, stored = _locked_customizations(platform, conn)
            table = _table()
            row = conn.execute(sa.select(table.c.document, table.c.removed_at).where(
                table.c.id == customization_id)).first()
            if row is None:
                raise NotFound(f"there is no customization #{customization_id}")
            if row.removed_at is None:
                raise Conflict(f"customization #{customization_id} is not removed")
            both = sorted([*stored, (customization_id, row.document)], key=lambda s: s[0])
            try:
                catalog = platform.load(both)
            except DefinitionError as exc:
                raise definition_errors(exc, customization_id) from None
            fresh = compile_catalog(catalog, version + 1)
            plan = plan_migration_in(conn, fresh.metadata)
            if plan.refusals:
                raise Invalid({"_request": [r.describe() for r in plan.refusals]})
            apply_customization_plan(conn, plan, f"restore of customization #{customization_id}",
                                     timeouts, record=True)
            _mark(conn, fresh, customization_id, removed=False, ctx=ctx)
    platform.adopt(fresh)
    refresh_derived(platform.engine, fresh)
    return row.document, fresh, plan.explain()


def _locked_customizations(platform: Platform, conn: Connection
                           ) -> tuple[int, list[tuple[int, dict[str, Any]]]]:
    state = platform.compiled.metadata.tables[SCHEMA_STATE]
    # Serialized with additions on the schema state row, as customize.py does.
    conn.execute(sa.select(state.c.version).where(state.c.id == 1).with_for_update())
    return read_customizations(conn)


def _unknown(conn: Connection, customization_id: int) -> NotFound:
    table = _table()
    removed = conn.execute(sa.select(table.c.removed_at).where(
        table.c.id == customization_id)).first()
    if removed is not None:
        return NotFound(f"customization #{customization_id} is already removed; restore it "
                        f"with POST /api/meta/customizations/{customization_id}/restore")
    return NotFound(f"there is no customization #{customization_id}")


def _refused(customization_id: int, refusals: Sequence[Refusal]) -> str:
    # The planner's remedy speaks of the command line; here the switch is a parameter.
    allowable = [r for r in refusals if "allow-destructive" in r.remedy]
    said = [f"{r.subject}: {r.reason}" if r in allowable else r.describe() for r in refusals]
    hint = ("; pass allow_destructive=true to drop it with its values" if allowable
            and len(allowable) == len(refusals) else "")
    return (f"removing customization #{customization_id} would {'; '.join(said)}; nothing "
            f"was changed{hint}")


def _still_needed(exc: DefinitionError, customization_id: int) -> str:
    needing = sorted({d.location.file for d in exc.diagnostics
                      if d.location.file.startswith("customization #")})
    found = "; ".join(str(d) for d in exc.diagnostics[:3])
    return (f"customization #{customization_id} cannot be removed: "
            + (f"{', '.join(needing)} build(s) on it; remove that first ({found})" if needing
               else f"the definitions need it ({found})"))


def _mark(conn: Connection, fresh: Compiled, customization_id: int, *, removed: bool,
          ctx: Context) -> None:
    tables = fresh.metadata.tables
    customizations = tables[CUSTOMIZATIONS]
    conn.execute(customizations.update().where(customizations.c.id == customization_id).values(
        removed_at=ctx.now if removed else None, removed_by=ctx.user_id if removed else None))
    state = tables[SCHEMA_STATE]
    conn.execute(state.update().where(state.c.id == 1).values(version=fresh.schema_version))


def _table() -> sa.TableClause:
    return sa.table(CUSTOMIZATIONS, sa.column("id"), sa.column("document", sa.JSON),
                    sa.column("removed_at"))
