"""What people do on an approval chain besides deciding it: comment on it, and hand
their task of the current step to someone else.

Both lock the chain's row first, as decisions do (runtime/approvals.py), so that a
task is never handed on while its step is being decided, nor twice at once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..base.problems import Conflict, Forbidden, Invalid
from ..i18n import MESSAGES, message, operation_name
from .approval_timeline import record_event, user_name
from .approval_views import may_comment, record_titles, visible_chain
from .approvals import PENDING, lock_chain
from .notifications import notify
from .operation import Operation

DELEGATED = "delegated"


def comment(op: Operation, approval_id: int, text: str) -> None:
    """Add ``text`` to the chain's timeline and tell the submitter and the current
    step's approvers (not the author). Its submitter and approvers may comment, and
    whoever's role grants ``comment`` on the record (see approval_views.may_comment)."""
    compiled, ctx = op.compiled, op.ctx
    seen = visible_chain(op, approval_id)
    if not may_comment(op, seen):
        model = compiled.models.get(seen["entity"])
        raise Forbidden(message("forbidden", ctx.locale,
                                operation=operation_name("comment", ctx.locale),
                                entity=model.entity.plural.get(ctx.locale) if model
                                else seen["entity"]))
    row = lock_chain(op, approval_id)
    record_event(op, approval_id, "comment", None, text)
    tasks = op.tables.approval_tasks
    waiting = set(op.conn.execute(sa.select(tasks.c.user_id).where(
        tasks.c.approval_id == approval_id, tasks.c.step_index == row.current,
        tasks.c.state == PENDING)).scalars()) if row.state == PENDING else set()
    told = (waiting | {row.submitter_id}) - {ctx.user_id}
    notify(op, told, "approval_comment", MESSAGES["approval_comment"],
           MESSAGES["approval_said"], entity=row.entity, record_id=row.record_id,
           approval_id=approval_id, params=_params(op, row, comment=text))


def delegate_task(op: Operation, approval_id: int, to: int, text: str | None) -> None:
    """Hand the caller's pending task of the current step to the active user ``to``:
    the task becomes "delegated" and ``to`` gets a pending one on behalf of the caller
    (with the step's deadlines as they stood)."""
    conn, ctx = op.conn, op.ctx
    visible_chain(op, approval_id)
    row = lock_chain(op, approval_id)
    lang = ctx.locale
    if row.state != PENDING:
        raise Conflict(message("chain_finished", lang, id=approval_id,
                               state=message(f"state_{row.state}", lang)))
    tasks = op.tables.approval_tasks
    step_tasks = conn.execute(sa.select(tasks).where(
        tasks.c.approval_id == approval_id, tasks.c.step_index == row.current,
        tasks.c.state == PENDING).with_for_update()).mappings().all()
    task = next((t for t in step_tasks if t["user_id"] == ctx.user_id), None)
    if task is None:
        raise Forbidden(message("not_your_step", lang))
    users = op.tables.users
    target = conn.execute(sa.select(users.c.id, users.c.name).where(
        users.c.id == to, users.c.active.is_(True))).first()
    if target is None:
        raise Invalid({"to": [message("user_expected", lang)]})
    if to == ctx.user_id:
        raise Invalid({"to": [message("delegate_self", lang)]})
    if to == row.submitter_id:
        raise Invalid({"to": [message("delegate_submitter", lang, user=target.name)]})
    if any(t["user_id"] == to for t in step_tasks):
        raise Conflict(message("delegate_holder", lang, user=target.name))
    conn.execute(tasks.update().where(tasks.c.id == task["id"]).values(
        state=DELEGATED, decided_at=ctx.now, comment=text))
    conn.execute(tasks.insert().values(
        approval_id=approval_id, step=task["step"], step_index=task["step_index"],
        user_id=to, on_behalf_of=ctx.user_id, state=PENDING, created_at=ctx.now,
        remind_at=task["remind_at"], escalate_at=task["escalate_at"],
        reminded_at=task["reminded_at"], escalated_at=task["escalated_at"]))
    record_event(op, approval_id, "delegate", task["step"], text)
    notify(op, [to], "approval_delegated", MESSAGES["approval_delegated"],
           MESSAGES["approval_said"] if text else None, entity=row.entity,
           record_id=row.record_id, approval_id=approval_id,
           params=_params(op, row, comment=text, step=task["step"]))


def _params(op: Operation, row: Any, *, comment: str | None, step: str | None = None
            ) -> dict[str, Any]:
    """What the notification texts name: labels stay Labels, so that each reader gets
    their own language."""
    approval = op.compiled.approvals.get(row.approval)
    step_def = approval.definition.step(step) if approval and step else None
    # The title as the platform sees it: whoever is told may see the chain.
    titles = record_titles(op.as_platform(), [(row.entity, row.record_id)])
    return {"who": user_name(op, op.ctx.user_id),
            "approval": approval.definition.label if approval else row.approval,
            "step": step_def.label if step_def else (step or ""),
            "title": titles.get((row.entity, row.record_id), ""), "comment": comment or ""}
