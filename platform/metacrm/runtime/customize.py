"""Runtime customizations: add fields, options and roles while the servers run.

A customization is an ``extend`` / ``extend_optionset`` document, validated
exactly like YAML, compiled together with everything else, migrated online
(additive changes only), stored, and announced to other processes by
raising the schema version — all in one transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..compile.compiled import Compiled, compile_catalog
from ..errors import DefinitionError
from ..platform import CUSTOMIZATIONS, SCHEMA_STATE, Platform, read_customizations
from .context import Context
from .problems import Conflict, Invalid

ALLOWED_KINDS = ("extend", "extend_optionset", "role", "extend_role")
NOT_AN_EXTENSION = ("A customization is a document starting with 'extend' (add fields, "
                    "indexes, labels, pool and assignment rules), 'extend_optionset' (add "
                    "options), 'role' (a new role) or 'extend_role' (change a role).")


def add_customization(platform: Platform, ctx: Context, document: Any) -> tuple[int, Compiled]:
    if not isinstance(document, dict) or not any(k in document for k in ALLOWED_KINDS):
        raise Invalid({"_request": [NOT_AN_EXTENSION]})
    from ..migrate import (
        MigrationFailed,
        MigrationRefused,
        apply_migration_in,
        plan_migration_in,
    )

    with platform.writing() as conn:
        compiled = platform.compiled
        tables = compiled.metadata.tables
        state, customizations = tables[SCHEMA_STATE], tables[CUSTOMIZATIONS]
        # Serialize concurrent customizations on the schema state row.
        conn.execute(sa.select(state.c.version).where(state.c.id == 1).with_for_update())
        version, stored = read_customizations(conn)
        new_id = (stored[-1][0] + 1) if stored else 1
        try:
            catalog = platform.load(stored + [(new_id, document)])
        except DefinitionError as exc:
            raise Invalid(_definition_errors(exc, new_id)) from None
        fresh = compile_catalog(catalog, version + 1)
        plan = plan_migration_in(conn, fresh.metadata)
        if plan.refusals:
            raise Invalid({"_request": [r.describe() for r in plan.refusals]})
        try:
            apply_migration_in(conn, plan, note=f"customization #{new_id}")
        except MigrationRefused as exc:  # PlanOutdated: another migration ran meanwhile
            raise Conflict("; ".join(r.describe() for r in exc.refusals)) from None
        except MigrationFailed as exc:  # e.g. a unique index over duplicate values
            raise Conflict(f"the data cannot take this change, nothing was changed: "
                           f"'{exc.action.describe()}' failed: "
                           f"{getattr(exc.error, 'orig', exc.error)}") from None
        conn.execute(customizations.insert().values(
            id=new_id, document=document, created_at=ctx.now, created_by=ctx.user_id))
        conn.execute(state.update().where(state.c.id == 1).values(version=version + 1))
    platform.adopt(fresh)
    return new_id, fresh


def _definition_errors(exc: DefinitionError, new_id: int) -> dict[str, list[str]]:
    prefix = f"customization #{new_id}"
    messages = [d.message for d in exc.diagnostics if str(d.location).startswith(prefix)]
    return {"_request": messages or [str(d) for d in exc.diagnostics]}
