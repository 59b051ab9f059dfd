"""What an approval chain records and says as it runs: its timeline of events, the
notes in the record's audit trail, and the names and titles notifications use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..i18n import MESSAGES


def record_event(conn: sa.Connection, compiled: Compiled, ctx: Context, approval_id: int,
                 kind: str, step: str | None, comment: str | None) -> None:
    conn.execute(compiled.tables.approval_events.insert().values(
        approval_id=approval_id, user_id=ctx.user_id, kind=kind, step=step, comment=comment,
        at=ctx.now))


def audit_note(label: str, comment: str | None) -> str:
    return f"{label}: {comment}" if comment else label


def record_title(model: EntityModel, record: Mapping[str, Any]) -> str:
    title = model.entity.title
    value = record.get(title) if title else None
    return str(value) if value not in (None, "") else f"{model.name} #{record['id']}"


def chain_title(conn: sa.Connection, compiled: Compiled, row: Any) -> str:
    model = compiled.models[row.entity]
    record = conn.execute(sa.select(model.table).where(model.table.c.id == row.record_id)
                          ).mappings().first()
    return record_title(model, record or {"id": row.record_id})


def user_name(conn: sa.Connection, compiled: Compiled, user_id: int | None) -> str:
    users = compiled.tables.users
    return conn.execute(sa.select(users.c.name).where(users.c.id == user_id)).scalar() or ""


def texts(key: str) -> dict[str, str]:
    return MESSAGES[key]
