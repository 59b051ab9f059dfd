"""Approval chains at run time: start one on a record, decide its steps, withdraw it,
hand a task to someone else, comment.

A chain's steps are chosen, and their approvers resolved, when it starts (a step's
``when`` is evaluated then; the submitter never approves their own request). Each
step gives its approvers tasks; ``any`` completes the step with one approval, ``all``
with every approver's; a rejection goes back to the submitter, the previous step or
a named earlier one. Every decision locks the chain's row first, so two approvers
deciding at once give one outcome, and a decision sent twice counts once. While a
chain is pending its record is locked against edits (locks.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Conflict, Forbidden, Invalid, NotFound
from ..compile.models import EntityModel
from ..compile.workflows import CompiledApproval, CompiledTransition
from ..definitions import StepDef
from ..expressions import EmptyValue, EvaluationError
from ..i18n import message
from .actions import caller_values
from .approval_outcomes import APPROVED, REJECTED, WITHDRAWN, approve_at_once, finish, settle
from .approval_timeline import (
    audit_note,
    chain_title,
    record_event,
    record_title,
    texts,
    user_name,
)
from .approvers import close_stand_ins, delegated, resolve_approvers
from .audit import audit_changes
from .notifications import notify
from .operation import Operation
from .writes import save_changes

PENDING = "pending"


def start_chain(op: Operation, model: EntityModel, current: Mapping[str, Any],
                values: Mapping[str, Any], approval: CompiledApproval, *,
                transition: CompiledTransition | None, comment: str | None
                ) -> tuple[dict, int | None]:
    """Submit the locked record ``current`` (with ``values``) to ``approval``; the record
    as the caller sees it and the new chain's id (None when no step applied and the
    chain was approved at once)."""
    conn, compiled, ctx = op.conn, op.compiled, op.ctx
    record = {**current, **values}
    steps = _chosen_steps(op, model, approval, record)
    workflow = compiled.workflows.get(model.name)
    changed = dict(values)
    if transition is not None and transition.definition.pending and workflow is not None:
        changed[workflow.field] = transition.definition.pending
    note = audit_note(approval.definition.label.get(ctx.locale), comment)
    shown = save_changes(conn, op.viewer, model, ctx, current, changed, action="submit",
                         note=note, keep_in_reach=False)
    if not steps:  # nothing to approve for this record: approved as submitted
        return approve_at_once(op, model, current, approval, transition, note), None
    approvals = op.tables.approvals
    from_state = current.get(workflow.field) if workflow else None
    try:
        with conn.begin_nested():  # the pending-per-record unique index guards two submits
            approval_id = conn.execute(approvals.insert().values(
                approval=approval.name, entity=model.name, record_id=current["id"],
                transition=transition.name if transition else None, from_state=from_state,
                state=PENDING, steps=steps, current=0, submitter_id=ctx.user_id,
                submitted_at=ctx.now).returning(approvals.c.id)).scalar_one()
    except sa.exc.IntegrityError:
        raise Conflict(message("already_pending", ctx.locale)) from None
    record_event(op, approval_id, "submit", None, comment)
    _activate(op, approval_id, approval, model, record, steps, 0, submitter_id=ctx.user_id)
    return shown, approval_id


def _chosen_steps(op: Operation, model: EntityModel, approval: CompiledApproval,
                  record: Mapping[str, Any]) -> list[dict[str, Any]]:
    ctx = op.ctx
    values = caller_values(model, record, ctx)
    steps = []
    for step in approval.definition.steps:
        condition = approval.conditions.get(step.name)
        if condition is not None:
            try:
                applies = condition.evaluate(values) is True
            except EmptyValue:
                applies = False  # a condition on an empty field does not apply
            except EvaluationError as exc:
                raise Invalid(message("condition_failed", ctx.locale,
                                      what=step.label.get(ctx.locale), reason=exc.located())) from None
            if not applies:
                continue
        approvers = [uid for uid in resolve_approvers(op, step.approvers, record, ctx.user_id)
                     if uid != ctx.user_id]
        if not approvers:
            raise Conflict(message("no_approvers", ctx.locale,
                                   step=step.label.get(ctx.locale)))
        steps.append({"name": step.name, "decide": step.decide, "approvers": approvers})
    return steps


def _activate(op: Operation, approval_id: int, approval: CompiledApproval, model: EntityModel,
              record: Mapping[str, Any], steps: list[dict[str, Any]], index: int, *,
              submitter_id: int | None) -> None:
    ctx = op.ctx
    step = steps[index]
    definition = approval.definition.step(step["name"])
    assert definition is not None
    tasks = op.tables.approval_tasks
    assignees = delegated(op, step["approvers"], submitter_id=submitter_id)
    op.conn.execute(tasks.insert(), [{
        "approval_id": approval_id, "step": step["name"], "step_index": index,
        "user_id": user_id, "on_behalf_of": on_behalf_of, "state": PENDING,
        "created_at": ctx.now, **_deadlines(definition, ctx)} for user_id, on_behalf_of
        in assignees])
    record_event(op, approval_id, "step", step["name"], None)
    notify(op, [uid for uid, _ in assignees], "approval_waiting",
           texts("approval_waiting"), entity=model.name, record_id=record["id"],
           approval_id=approval_id,
           params={"approval": approval.definition.label, "step": definition.label,
                   "title": record_title(model, record)})


def _deadlines(step: StepDef, ctx: Context) -> dict[str, Any]:
    return {"remind_at": ctx.now + timedelta(seconds=step.remind_after)
            if step.remind_after else None,
            "escalate_at": ctx.now + timedelta(seconds=step.escalate_after)
            if step.escalate_after else None}


def decide(op: Operation, approval_id: int, verdict: str, comment: str | None) -> None:
    """Record the caller's ``verdict`` ("approved" or "rejected") on the current step."""
    conn, compiled, ctx = op.conn, op.compiled, op.ctx
    row = lock_chain(op, approval_id)
    tasks = op.tables.approval_tasks
    mine = conn.execute(sa.select(tasks).where(
        tasks.c.approval_id == approval_id, tasks.c.user_id == ctx.user_id)
        .order_by(tasks.c.id.desc())).mappings().all()
    task = next((t for t in mine if t["state"] == PENDING and t["step_index"] == row.current
                 and row.state == PENDING), None)
    if task is None:
        if mine and mine[0]["state"] == verdict:
            return  # the same decision sent twice counts once
        if row.state != PENDING:
            raise Conflict(message("chain_finished", ctx.locale, id=approval_id,
                                   state=message(f"state_{row.state}", ctx.locale)))
        raise Forbidden(message("not_your_step", ctx.locale))
    conn.execute(tasks.update().where(tasks.c.id == task["id"]).values(
        state=verdict, decided_at=ctx.now, comment=comment))
    if verdict == APPROVED:  # an escalated task and its original decide one share
        close_stand_ins(op, task)
    approval = compiled.approvals[row.approval]
    model = compiled.models[row.entity]
    step_def = approval.definition.step(task["step"])
    assert step_def is not None
    kind = "approve" if verdict == APPROVED else "reject"
    record_event(op, approval_id, kind, task["step"], comment)
    audit_changes(conn, compiled, ctx, model.name, kind, [(row.record_id, {})],
                  audit_note(f"{approval.definition.label.get(ctx.locale)}, "
                             f"{step_def.label.get(ctx.locale)}", comment))
    steps = list(row.steps)
    if verdict == REJECTED:
        _close_step(op, approval_id, row.current, "cancelled")
        back = _rejected_to(step_def, steps, row.current)
        if back is None:
            finish(op, row, REJECTED, comment)
        else:
            _move(op, row, approval, model, steps, back)
        return
    if step_def.decide == "all" and conn.execute(sa.select(sa.func.count()).select_from(
            tasks).where(tasks.c.approval_id == approval_id, tasks.c.step_index == row.current,
                         tasks.c.state == PENDING)).scalar_one():
        return  # others of this step still have to approve
    _close_step(op, approval_id, row.current, "skipped")
    following = _next_step(op, row, steps, row.current + 1)
    if following is None:
        finish(op, row, APPROVED, comment)
    else:
        _move(op, row, approval, model, steps, following)


def _next_step(op: Operation, row: Any, steps: list[dict[str, Any]], index: int) -> int | None:
    """The next step someone still has to decide (None: the chain is approved). A step
    is passed over when the people who already approved this chain settle it: one of
    its approvers for an ``any`` step, all of them for ``all`` (a director who approved
    as the submitter's manager is not asked again as director)."""
    tasks = op.tables.approval_tasks
    approved = set(op.conn.execute(sa.select(tasks.c.user_id).where(
        tasks.c.approval_id == row.id, tasks.c.state == APPROVED)).scalars())
    while index < len(steps):
        approvers = set(steps[index]["approvers"])
        settled = approvers <= approved if steps[index]["decide"] == "all" \
            else bool(approvers & approved)
        if not settled:
            return index
        record_event(op, row.id, "skip", steps[index]["name"], None)
        index += 1
    return None


def _rejected_to(step: StepDef, steps: list[dict[str, Any]], current: int) -> int | None:
    """The step a rejection goes back to (None: back to the submitter, the chain ends)."""
    if step.reject_to == "previous":
        return current - 1 if current > 0 else None
    if step.reject_to == "submitter":
        return None
    names = [s["name"] for s in steps[:current]]
    # A named step that did not apply to this record (its `when`) sends it back whole.
    return names.index(step.reject_to) if step.reject_to in names else None


def _move(op: Operation, row: Any, approval: CompiledApproval, model: EntityModel,
          steps: list[dict[str, Any]], index: int) -> None:
    approvals = op.tables.approvals
    op.conn.execute(approvals.update().where(approvals.c.id == row.id).values(
        current=index, version=approvals.c.version + 1))
    record = op.conn.execute(sa.select(model.table).where(model.table.c.id == row.record_id)
                             ).mappings().one()
    _activate(op, row.id, approval, model, record, steps, index, submitter_id=row.submitter_id)


def _close_step(op: Operation, approval_id: int, index: int, state: str) -> None:
    """The step is decided: its other approvers' tasks are no longer waiting."""
    tasks = op.tables.approval_tasks
    op.conn.execute(tasks.update().where(tasks.c.approval_id == approval_id,
                                         tasks.c.step_index == index, tasks.c.state == PENDING)
                    .values(state=state, decided_at=op.ctx.now))


def withdraw(op: Operation, approval_id: int, comment: str | None) -> None:
    """The submitter (or an administrator) takes the request back."""
    compiled, ctx = op.compiled, op.ctx
    row = lock_chain(op, approval_id)
    if row.state != PENDING:
        raise Conflict(message("chain_finished", ctx.locale, id=approval_id,
                               state=message(f"state_{row.state}", ctx.locale)))
    if row.submitter_id != ctx.user_id and not compiled.policy.administers(ctx.principal):
        raise Forbidden(message("only_submitter", ctx.locale))
    tasks = op.tables.approval_tasks
    waiting = list(op.conn.execute(sa.select(tasks.c.user_id).where(
        tasks.c.approval_id == approval_id, tasks.c.state == PENDING)).scalars())
    _close_step(op, approval_id, row.current, "cancelled")
    record_event(op, approval_id, "withdraw", None, comment)
    settle(op, row, WITHDRAWN, "withdraw", comment)
    notify(op, waiting, "approval_withdrawn", texts("approval_withdrawn"),
           texts("approval_said") if comment else None, entity=row.entity,
           record_id=row.record_id, approval_id=approval_id,
           params={"approval": compiled.approvals[row.approval].definition.label,
                   "title": chain_title(op, row),
                   "who": user_name(op, ctx.user_id), "comment": comment})


def lock_chain(op: Operation, approval_id: int) -> Any:
    approvals = op.tables.approvals
    row = op.conn.execute(sa.select(approvals).where(approvals.c.id == approval_id)
                          .with_for_update()).first()
    if row is None:
        raise NotFound(message("no_approval", op.locale, id=approval_id), key="id")
    return row
