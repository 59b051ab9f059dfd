"""Deadlines of approval tasks: a task still pending past its step's ``remind_after``
reminds its holder once; past ``escalate_after`` it is escalated once, to the step's
``escalate_to`` (default: the holder's manager), who get pending tasks of the same
step on behalf of the holder. The holder's task stays pending: either may decide.

Run by the scheduled task ``approvals.deadlines`` (jobs/tasks.py), in batches of one
transaction each. Safe with several processes at once: each takes the chain's row
(FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a single writer) before its tasks,
in the order decisions do; a reminder is claimed by a conditional UPDATE
(``reminded_at IS NULL``), an escalation checks again that the task still waits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..compile.compiled import Compiled
from ..definitions import ApproverDef
from ..i18n import MESSAGES
from ..values import to_utc
from .approval_views import people, record_titles
from .approvers import resolve_approvers
from .notifications import notify
from .operation import Operation

BATCH = 200  # tasks per transaction
PENDING = "pending"
HOLDERS_MANAGER = ApproverDef("manager", levels=1)
Transaction = Callable[[], AbstractContextManager[sa.Connection]]


@dataclass
class DeadlineRun:
    reminded: int = 0
    escalated: int = 0
    # escalations that found nobody to go to (no manager, an empty role): not retried
    unescalated: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"reminded": self.reminded, "escalated": self.escalated,
                "unescalated": self.unescalated}


def run_deadlines(transaction: Transaction, compiled: Compiled, now: datetime) -> DeadlineRun:
    """Send every reminder and make every escalation due at ``now``, a batch per
    ``transaction()``."""
    ctx = job_context(now)
    run = DeadlineRun()
    after = 0
    while True:
        with transaction() as conn:
            seen, claimed, after = send_reminders(Operation(conn, compiled, ctx), after)
        run.reminded += claimed
        if seen < BATCH:
            break
    after = 0
    while True:
        with transaction() as conn:
            seen, after = escalate_due(Operation(conn, compiled, ctx), after, run)
        if seen < BATCH:
            return run


def job_context(now: datetime) -> Context:
    """The platform running the deadlines at ``now``, in nobody's name."""
    return Context.system(None, now=to_utc(now))


def count_due(op: Operation) -> dict[str, int]:
    """What a run at the operation's time would do (for ``metacrm jobs run --dry-run``)."""
    tasks = op.tables.approval_tasks
    now = op.ctx.now

    def count(*where: sa.ColumnElement[bool]) -> int:
        return op.conn.execute(sa.select(sa.func.count()).select_from(tasks).where(
            tasks.c.state == PENDING, *where)).scalar_one()

    return {"reminders": count(tasks.c.remind_at <= now, tasks.c.reminded_at.is_(None)),
            "escalations": count(tasks.c.escalate_at <= now, tasks.c.escalated_at.is_(None))}


def send_reminders(op: Operation, after: int = 0) -> tuple[int, int, int]:
    """Remind the holders of up to BATCH due tasks with ids above ``after``; (tasks
    looked at, reminders sent, the last id looked at)."""
    conn, now = op.conn, op.ctx.now
    tasks, approvals = op.tables.approval_tasks, op.tables.approvals
    due = (tasks.c.state == PENDING, tasks.c.remind_at <= now, tasks.c.reminded_at.is_(None))
    candidates = conn.execute(sa.select(tasks.c.id, tasks.c.approval_id).where(
        *due, tasks.c.id > after).order_by(tasks.c.id).limit(BATCH)).all()
    if not candidates:
        return 0, 0, after
    # The chains first, as a decision locks them (then their tasks): the same order,
    # so a reminder and a decision never wait for each other in a circle. A chain
    # being decided right now is skipped; its task is reminded next run if still due.
    chains = list(conn.execute(sa.select(approvals.c.id).where(
        approvals.c.id.in_(sorted({c.approval_id for c in candidates})))
        .order_by(approvals.c.id).with_for_update(skip_locked=True)).scalars())
    # Conditional: of two processes that both saw a task due, one reminds.
    claimed = conn.execute(tasks.update().where(
        tasks.c.id.in_([c.id for c in candidates]), tasks.c.approval_id.in_(chains), *due)
        .values(reminded_at=now)
        .returning(tasks.c.approval_id, tasks.c.user_id, tasks.c.step)).mappings().all()
    if claimed:
        conn.execute(op.tables.approval_events.insert(), [
            {"approval_id": t["approval_id"], "user_id": t["user_id"], "kind": "remind",
             "step": t["step"], "at": now} for t in claimed])
    found = _chains(op, {t["approval_id"] for t in claimed})
    grouped: dict[tuple[int, str], list[int]] = defaultdict(list)
    for task in claimed:
        grouped[(task["approval_id"], task["step"])].append(task["user_id"])
    for (approval_id, step), holders in grouped.items():
        chain = found[approval_id]
        notify(op, holders, "approval_reminder", MESSAGES["approval_reminder"],
               entity=chain["entity"], record_id=chain["record_id"], approval_id=approval_id,
               params=_params(op, chain, step))
    return len(candidates), len(claimed), candidates[-1].id


def escalate_due(op: Operation, after: int, run: DeadlineRun) -> tuple[int, int]:
    """Escalate up to BATCH due tasks with ids above ``after``; (tasks looked at, the
    last id looked at). A task whose chain another process holds locked (a decision
    in progress) is left for the next run."""
    conn, now = op.conn, op.ctx.now
    tasks, approvals = op.tables.approval_tasks, op.tables.approvals
    candidates = conn.execute(sa.select(tasks.c.id, tasks.c.approval_id).where(
        tasks.c.state == PENDING, tasks.c.escalate_at <= now, tasks.c.escalated_at.is_(None),
        tasks.c.id > after).order_by(tasks.c.id).limit(BATCH)).all()
    for candidate in candidates:
        chain = conn.execute(sa.select(approvals).where(approvals.c.id == candidate.approval_id)
                             .with_for_update(skip_locked=True)).mappings().first()
        if chain is None:
            continue
        task = conn.execute(sa.select(tasks).where(tasks.c.id == candidate.id)
                            .with_for_update()).mappings().one()
        if (task["state"] != PENDING or task["escalated_at"] is not None
                or chain["state"] != PENDING or task["step_index"] != chain["current"]):
            continue  # decided, escalated or moved on meanwhile
        if _escalate(op, chain, task):
            run.escalated += 1
        else:
            run.unescalated += 1
    return len(candidates), candidates[-1].id if candidates else after


def _escalate(op: Operation, chain: Any, task: Any) -> bool:
    """Give ``task``'s step to whom it escalates to; whether anyone was found."""
    conn, compiled, now = op.conn, op.compiled, op.ctx.now
    tasks = op.tables.approval_tasks
    conn.execute(tasks.update().where(tasks.c.id == task["id"]).values(escalated_at=now))
    approval = compiled.approvals.get(chain["approval"])
    model = compiled.models.get(chain["entity"])
    step = approval.definition.step(task["step"]) if approval else None
    if step is None or model is None:
        return False  # the definitions changed under the chain: nobody to ask
    found = conn.execute(sa.select(model.table).where(model.table.c.id == chain["record_id"])
                         ).mappings().first()
    record: dict[str, Any] = dict(found) if found else {}
    holders = set(conn.execute(sa.select(tasks.c.user_id).where(
        tasks.c.approval_id == chain["id"], tasks.c.step_index == task["step_index"],
        tasks.c.state == PENDING)).scalars())
    # "manager" counts up from the task's holder; the submitter never approves their
    # own request, and nobody gets a second task of the step.
    targets = [uid for uid in resolve_approvers(op, step.escalate_to or HOLDERS_MANAGER,
                                                record, task["user_id"])
               if uid != chain["submitter_id"] and uid not in holders]
    if not targets:
        return False
    conn.execute(tasks.insert(), [{
        "approval_id": chain["id"], "step": task["step"], "step_index": task["step_index"],
        "user_id": uid, "on_behalf_of": task["user_id"], "state": PENDING, "created_at": now,
        "remind_at": now + timedelta(seconds=step.remind_after) if step.remind_after
        else None} for uid in targets])
    conn.execute(op.tables.approval_events.insert().values(
        approval_id=chain["id"], user_id=task["user_id"], kind="escalate", step=task["step"],
        at=now))
    names = people(op, [task["user_id"], *targets])
    params = {**_params(op, chain, task["step"], with_title=True),
              "holder": names[task["user_id"]]["name"],
              "since": to_utc(task["created_at"]).strftime("%Y-%m-%d %H:%M UTC"),
              "names": ", ".join(names[uid]["name"] for uid in targets)}
    about = {"entity": chain["entity"], "record_id": chain["record_id"],
             "approval_id": chain["id"], "params": params}
    notify(op, targets, "approval_escalated", MESSAGES["approval_escalated"],
           MESSAGES["approval_escalated_body"], **about)
    notify(op, [task["user_id"]], "approval_escalated_away",
           MESSAGES["approval_escalated_away"], MESSAGES["approval_escalated_away_body"],
           **about)
    return True


def _chains(op: Operation, ids: set[int]) -> dict[int, Any]:
    approvals = op.tables.approvals
    rows = op.conn.execute(sa.select(approvals).where(approvals.c.id.in_(sorted(ids)))
                           ).mappings().all() if ids else []
    titles = _titles(op, rows)
    return {row["id"]: {**row, "title": titles.get((row["entity"], row["record_id"]))}
            for row in rows}


def _titles(op: Operation, rows: Sequence[Any]) -> dict[tuple[str, int], str]:
    # The titles as the platform sees them, in the default language ("Deal #5").
    platform = op.acting_as(Context.system(None, now=op.ctx.now))
    return record_titles(platform, [(row["entity"], row["record_id"]) for row in rows])


def _params(op: Operation, chain: Any, step: str, *, with_title: bool = False
            ) -> dict[str, Any]:
    approval = op.compiled.approvals.get(chain["approval"])
    step_def = approval.definition.step(step) if approval else None
    title = chain.get("title") if isinstance(chain, dict) else None
    if title is None and with_title:
        title = _titles(op, [chain]).get((chain["entity"], chain["record_id"]))
    return {"approval": approval.definition.label if approval else chain["approval"],
            "step": step_def.label if step_def else step, "title": title or ""}
