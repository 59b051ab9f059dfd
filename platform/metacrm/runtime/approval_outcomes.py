"""How an approval chain ends: approved (its transition completes, or its own
``on_approve`` actions run), rejected back to the submitter or withdrawn (the record
returns to the state it left, or to the transition's ``rejected`` state); and the
record the chain changes, locked and changed by the platform in the decider's name."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..base.problems import Conflict
from ..compile.models import EntityModel
from ..compile.workflows import CompiledAction, CompiledApproval, CompiledTransition
from ..i18n import message
from .actions import run_actions, set_values
from .approval_state import Chain, add_event, update_chain_and_read
from .approval_timeline import chain_title, record_title, texts, user_name
from .audit_notes import approval as approval_part
from .audit_notes import note as note_part
from .audit_notes import said, stored
from .notifications import notification_rows
from .operation import Operation
from .rows import Row
from .stored_rows import locking, row_statement
from .transitions import complete, complete_saved, fire_on_referenced
from .writes import save_changes

APPROVED, REJECTED, WITHDRAWN = "approved", "rejected", "withdrawn"


def finish(op: Operation, chain: Chain, outcome: str, comment: str | None = None) -> None:
    compiled, ctx = op.compiled, op.ctx
    row = chain.row
    approval = compiled.approvals[row["approval"]]
    add_event(op, chain, "done", None, outcome)
    model = compiled.models[row["entity"]]
    chain.record = None
    if outcome == APPROVED and row["transition"]:
        acting, current = mark_and_lock(op, chain, APPROVED, model)
        transition = compiled.workflows[model.name].transitions[row["transition"]]
        _, saved = complete_saved(acting, model, current, {}, transition,
                                  note=stored(said(approval_part(approval.name),
                                                   note_part("state_approved"))),
                                  submitter_id=row["submitter_id"], approval_id=chain.id,
                                  audit_later=chain.audit)
        if all(action.definition.kind == "set" for action in transition.actions):
            chain.record = saved  # nothing ran after the write that could change it
    else:
        settle(op, chain, outcome, outcome, None)
    title = record_title(model, chain.record) if chain.record is not None \
        else chain_title(op, chain)
    chain.notices += notification_rows(
        op, [row["submitter_id"]], f"approval_{outcome}",
        texts(f"approval_{outcome}"), texts("approval_said") if comment else None,
        entity=row["entity"], record_id=row["record_id"], approval_id=chain.id,
        params={"approval": approval.definition.label,
                "title": title, "who": user_name(op, ctx.user_id), "comment": comment})


def settle(op: Operation, chain: Chain, state: str, action: str, comment: str | None) -> None:
    """End the chain in ``state`` and give the record back: to the transition's
    rejected state or where it was; or run the chain's own outcome actions."""
    compiled = op.compiled
    row = chain.row
    approval = compiled.approvals[row["approval"]]
    model = compiled.models[row["entity"]]
    acting, current = mark_and_lock(op, chain, state, model)
    changed: dict[str, Any] = {}
    if row["transition"]:
        workflow = compiled.workflows[model.name]
        transition = workflow.transitions[row["transition"]]
        back = transition.definition.rejected if state == REJECTED else None
        target = back or row["from_state"]
        if target and current.get(workflow.field) != target:
            changed[workflow.field] = target
        actions: tuple[CompiledAction, ...] = ()
    else:
        actions = approval.on_approve if state == APPROVED else (
            approval.on_reject if state == REJECTED else ())
        changed.update(set_values(model, actions, current, acting.ctx))
    note = stored(said(approval_part(approval.name), comment or note_part(f"state_{state}")))
    save_changes(op.conn, acting.viewer, model, acting.ctx, current, changed, action=action,
                 note=note, keep_in_reach=False, audit_later=chain.audit)
    if actions:
        saved = op.conn.execute(row_statement(model), {"record_id": row["record_id"]}
                                ).mappings().one()
        run_actions(op.conn, compiled, model, acting.ctx, saved, actions, plugins=op.plugins,
                    event=f"{state}:{approval.name}", submitter_id=row["submitter_id"],
                    approval_id=chain.id)
        fire_on_referenced(acting, model, saved, actions, cause=approval_part(approval.name))


def approve_at_once(op: Operation, model: EntityModel, current: Row,
                    approval: CompiledApproval, transition: CompiledTransition | None,
                    note: str) -> dict[str, Any]:
    conn, ctx = op.conn, op.ctx
    locked = conn.execute(sa.select(model.table).where(model.table.c.id == current["id"])
                          ).mappings().one()
    if transition is not None:
        return complete(op, model, locked, {}, transition, note=note)
    changed = set_values(model, approval.on_approve, locked, ctx)
    shown = save_changes(conn, op.viewer, model, ctx, locked, changed, action="approve",
                         note=note, keep_in_reach=False)
    run_actions(conn, op.compiled, model, ctx, {**locked, **changed}, approval.on_approve,
                plugins=op.plugins, event=f"approved:{approval.name}")
    fire_on_referenced(op, model, {**locked, **changed}, approval.on_approve,
                       cause=approval_part(approval.name))
    return shown


def mark_and_lock(op: Operation, chain: Chain, state: str, model: EntityModel
                  ) -> tuple[Operation, Row]:
    """End the chain in ``state`` and lock its record (with the chain's UPDATE, in one
    statement where the database can): the chain changes the record itself (whoever
    decided), as the platform."""
    found = update_chain_and_read(op, chain, {"state": state, "finished_at": op.ctx.now},
                                  locking(model), {"record_id": chain.row["record_id"]})
    if not found:  # deleted meanwhile: nothing left to change
        raise Conflict(message("record_gone", op.locale))
    return op.as_platform(), found[0]
