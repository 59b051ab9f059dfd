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
from .approval_state import (
    PENDING,
    Chain,
    add_event,
    add_tasks,
    lock_statement,
    pending_of_step,
    settle_tasks,
    update_chain_and_read,
    write_events,
)
from .approval_timeline import (
    chain_title,
    record_title,
    texts,
    user_name,
)
from .approvers import delegated, resolve_approvers, stand_ins
from .audit import audit_rows
from .audit_notes import approval as approval_part
from .audit_notes import note as note_part
from .audit_notes import said, stored
from .notifications import notification_rows
from .operation import Operation
from .rows import Row
from .stored_rows import row_statement
from .writes import save_changes


def start_chain(op: Operation, model: EntityModel, current: Row,
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
    note = stored(said(approval_part(approval.name), comment))
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
    chain = Chain({"id": approval_id, "steps": steps, "current": 0,
                   "submitter_id": ctx.user_id})
    add_event(op, chain, "submit", None, comment)
    _activate(op, chain, approval, model, record, 0)
    write_events(op, chain)
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
                                      what=step.label.get(ctx.locale),
                                      reason=exc.located())) from None
            if not applies:
                continue
        approvers = [uid for uid in resolve_approvers(op, step.approvers, record, ctx.user_id)
                     if uid != ctx.user_id]
        if not approvers:
            raise Conflict(message("no_approvers", ctx.locale,
                                   step=step.label.get(ctx.locale)))
        steps.append({"name": step.name, "decide": step.decide, "approvers": approvers})
    return steps


def _activate(op: Operation, chain: Chain, approval: CompiledApproval, model: EntityModel,
              record: Row, index: int) -> None:
    ctx = op.ctx
    step = chain.row["steps"][index]
    definition = approval.definition.step(step["name"])
    assert definition is not None
    assignees = delegated(op, step["approvers"], submitter_id=chain.row["submitter_id"],
                          running=chain.delegations)
    add_tasks(op, chain, [{
        "approval_id": chain.id, "step": step["name"], "step_index": index,
        "user_id": user_id, "on_behalf_of": on_behalf_of, "state": PENDING,
        "created_at": ctx.now, **_deadlines(definition, ctx)} for user_id, on_behalf_of
        in assignees])
    add_event(op, chain, "step", step["name"], None)
    chain.notices += notification_rows(
        op, [uid for uid, _ in assignees], "approval_waiting",
        texts("approval_waiting"), entity=model.name, record_id=record["id"],
        approval_id=chain.id,
        params={"approval": approval.definition.label, "step": definition.label,
                "title": record_title(model, record)})


def _deadlines(step: StepDef, ctx: Context) -> dict[str, Any]:
    return {"remind_at": ctx.now + timedelta(seconds=step.remind_after)
            if step.remind_after else None,
            "escalate_at": ctx.now + timedelta(seconds=step.escalate_after)
            if step.escalate_after else None}


def decide(op: Operation, chain: Chain, verdict: str, comment: str | None) -> None:
    """Record the caller's ``verdict`` ("approved" or "rejected") on the current step of
    the locked ``chain`` (see approval_state.load_chain)."""
    compiled, ctx = op.compiled, op.ctx
    row = chain.row
    current = row["current"]
    mine = sorted((t for t in chain.tasks if t["user_id"] == ctx.user_id),
                  key=lambda t: t["id"], reverse=True)
    task = next((t for t in mine if t["state"] == PENDING and t["step_index"] == current
                 and row["state"] == PENDING), None)
    if task is None:
        if mine and mine[0]["state"] == verdict:
            return  # the same decision sent twice counts once
        if row["state"] != PENDING:
            raise Conflict(message("chain_finished", ctx.locale, id=chain.id,
                                   state=message(f"state_{row['state']}", ctx.locale)))
        raise Forbidden(message("not_your_step", ctx.locale))
    states = {task["id"]: verdict}
    if verdict == APPROVED:  # an escalated task and its original decide one share
        states.update(dict.fromkeys(stand_ins(chain.tasks, task), "skipped"))
    approval = compiled.approvals[row["approval"]]
    model = compiled.models[row["entity"]]
    step_def = approval.definition.step(task["step"])
    assert step_def is not None
    kind = "approve" if verdict == APPROVED else "reject"
    add_event(op, chain, kind, task["step"], comment)
    chain.audit = audit_rows(ctx, model.name, kind, [(row["record_id"], {})],
                             stored(said(note_part(
                                 "note_step", approval=approval_part(approval.name),
                                 step=approval_part(approval.name, task["step"])), comment)))
    steps = list(row["steps"])
    waiting = pending_of_step(chain, current, besides=states)
    if verdict == REJECTED:
        states.update(dict.fromkeys(waiting, "cancelled"))
        settle_tasks(op, chain, states, decided=task["id"], comment=comment)
        back = _rejected_to(step_def, steps, current)
        if back is None:
            finish(op, chain, REJECTED, comment)
        else:
            _move(op, chain, approval, model, back)
    elif step_def.decide == "all" and waiting:
        settle_tasks(op, chain, states, decided=task["id"], comment=comment)
        # others of this step still have to approve
    else:
        states.update(dict.fromkeys(waiting, "skipped"))
        settle_tasks(op, chain, states, decided=task["id"], comment=comment)
        following = _next_step(op, chain, steps, current + 1)
        if following is None:
            finish(op, chain, APPROVED, comment)
        else:
            _move(op, chain, approval, model, following)
    write_events(op, chain)


def _next_step(op: Operation, chain: Chain, steps: list[dict[str, Any]], index: int
               ) -> int | None:
    """The next step someone still has to decide (None: the chain is approved). A step
    is passed over when the people who already approved this chain settle it: one of
    its approvers for an ``any`` step, all of them for ``all`` (a director who approved
    as the submitter's manager is not asked again as director)."""
    approved = {t["user_id"] for t in chain.tasks if t["state"] == APPROVED}
    while index < len(steps):
        approvers = set(steps[index]["approvers"])
        settled = approvers <= approved if steps[index]["decide"] == "all" \
            else bool(approvers & approved)
        if not settled:
            return index
        add_event(op, chain, "skip", steps[index]["name"], None)
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


def _move(op: Operation, chain: Chain, approval: CompiledApproval, model: EntityModel,
          index: int) -> None:
    record = chain.record = update_chain_and_read(
        op, chain, {"current": index}, row_statement(model),
        {"record_id": chain.row["record_id"]})[0]
    _activate(op, chain, approval, model, record, index)


def withdraw(op: Operation, chain: Chain, comment: str | None) -> None:
    """The submitter (or an administrator) takes the request back."""
    compiled, ctx = op.compiled, op.ctx
    row = chain.row
    if row["state"] != PENDING:
        raise Conflict(message("chain_finished", ctx.locale, id=chain.id,
                               state=message(f"state_{row['state']}", ctx.locale)))
    if row["submitter_id"] != ctx.user_id and not compiled.policy.administers(ctx.principal):
        raise Forbidden(message("only_submitter", ctx.locale))
    waiting = [t["user_id"] for t in chain.tasks if t["state"] == PENDING]
    settle_tasks(op, chain, dict.fromkeys(pending_of_step(chain, row["current"]), "cancelled"))
    add_event(op, chain, "withdraw", None, comment)
    settle(op, chain, WITHDRAWN, "withdraw", comment)
    chain.notices += notification_rows(
        op, waiting, "approval_withdrawn", texts("approval_withdrawn"),
        texts("approval_said") if comment else None, entity=row["entity"],
        record_id=row["record_id"], approval_id=chain.id,
        params={"approval": compiled.approvals[row["approval"]].definition.label,
                "title": chain_title(op, chain),
                "who": user_name(op, ctx.user_id), "comment": comment})
    write_events(op, chain)


def lock_chain(op: Operation, approval_id: int) -> Any:
    row = op.conn.execute(lock_statement(op.tables), {"approval_id": approval_id}).first()
    if row is None:
        raise NotFound(message("no_approval", op.locale, id=approval_id), key="id")
    return row
