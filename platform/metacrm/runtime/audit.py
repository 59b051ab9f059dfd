"""The audit trail: who changed what, when, with each field's old and new value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..compile.compiled import Compiled
from ..values import PLAIN_JSON, json_value
from .audit_notes import read
from .inserts import append_rows


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs."""
    changes = {}
    old_of = before.get
    for name, new in after.items():
        # Each value turned into JSON once (a bulk create audits every field of 500
        # records); most are JSON already, told by their type without a call.
        old = old_of(name)
        if type(old) not in PLAIN_JSON:
            old = json_value(old)
        if type(new) not in PLAIN_JSON:
            new = json_value(new)
        if old != new:
            changes[name] = [old, new]
    return changes


def audit_rows(ctx: Context, entity: str, action: str,
               changes: list[tuple[int, dict[str, list[Any]]]], note: str | None = None
               ) -> list[dict[str, Any]]:
    return [
        {"entity": entity, "record_id": record_id, "action": action, "user_id": ctx.user_id,
         "at": ctx.now, "changes": diff, "note": note}
        for record_id, diff in changes
    ]


def audit_changes(conn: sa.Connection, compiled: Compiled, ctx: Context, entity: str,
                  action: str, changes: list[tuple[int, dict[str, list[Any]]]],
                  note: str | None = None, *, before: Sequence[dict[str, Any]] = ()) -> None:
    """Record ``changes`` (``[(record id, {field: [old, new]})]``) in the audit trail;
    ``before``: audit rows of what happened just before, written in the same INSERT."""
    write_audit(conn, compiled.tables.audit, ctx, entity, action, changes, note,
                before=before)


def write_audit(conn: sa.Connection, audit: sa.Table, ctx: Context, entity: str, action: str,
                changes: list[tuple[int, dict[str, list[Any]]]], note: str | None = None, *,
                before: Sequence[dict[str, Any]] = ()) -> None:
    rows = [*before, *audit_rows(ctx, entity, action, changes, note)]
    append_rows(conn, audit, rows)  # (see inserts.py)


def record_history(conn: sa.Connection, compiled: Compiled, entity: str, record_id: int,
                   lang: str, limit: int = 200, hidden: frozenset[str] = frozenset()
                   ) -> list[dict[str, Any]]:
    """The record's changes, newest first, without the fields the reader may not see;
    the engine's notes in the reader's language ``lang`` (see audit_notes.py)."""
    audit = compiled.tables.audit
    rows = conn.execute(
        sa.select(audit).where(audit.c.entity == entity, audit.c.record_id == record_id)
        .order_by(audit.c.id.desc()).limit(limit)
    ).mappings()
    return [
        {"id": r["id"], "action": r["action"], "user_id": r["user_id"],
         "at": json_value(r["at"]),
         "changes": {k: v for k, v in r["changes"].items() if k not in hidden},
         "note": read(compiled, r["note"], lang)}
        for r in rows
    ]
