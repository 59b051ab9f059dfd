"""How an approval chain ends: approved (its transition completes, or its own
``on_approve`` actions run), rejected back to the submitter or withdrawn (the record
returns to the state it left, or to the transition's ``rejected`` state); and the
record the chain changes, locked and changed by the platform in the decider's name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..base.context import Context, Principal
from ..base.problems import Conflict
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.workflows import CompiledApproval, CompiledTransition
from ..i18n import message
from ..plugins import Plugin
from .access import Viewer
from .actions import run_actions, set_values
from .approval_timeline import audit_note, chain_title, record_event, texts, user_name
from .notifications import notify
from .transitions import complete, fire_on_referenced
from .writes import lock_statement, save_changes

APPROVED, REJECTED, WITHDRAWN = "approved", "rejected", "withdrawn"


def finish(conn: sa.Connection, compiled: Compiled, ctx: Context, row: Any, outcome: str,
            plugins: Mapping[str, Plugin], comment: str | None = None) -> None:
    approval = compiled.approvals[row.approval]
    label = approval.definition.label.get(ctx.locale)
    record_event(conn, compiled, ctx, row.id, "done", None, outcome)
    model = compiled.models[row.entity]
    if outcome == APPROVED and row.transition:
        mark(conn, compiled, row.id, APPROVED, ctx)
        viewer, current = as_platform(conn, compiled, ctx, model, row.record_id)
        transition = compiled.workflows[model.name].transitions[row.transition]
        complete(conn, viewer, model, platform_ctx(ctx), current, {}, transition,
                 plugins=plugins, note=f"{label}: {message('state_approved', ctx.locale)}",
                 submitter_id=row.submitter_id, approval_id=row.id)
    else:
        settle(conn, compiled, ctx, row, outcome, outcome, None, plugins=plugins)
    notify(conn, compiled, ctx, [row.submitter_id], f"approval_{outcome}",
           texts(f"approval_{outcome}"), texts("approval_said") if comment else None,
           entity=row.entity, record_id=row.record_id, approval_id=row.id,
           params={"approval": approval.definition.label,
                   "title": chain_title(conn, compiled, row),
                   "who": user_name(conn, compiled, ctx.user_id), "comment": comment})


def settle(conn: sa.Connection, compiled: Compiled, ctx: Context, row: Any, state: str,
            action: str, comment: str | None, plugins: Mapping[str, Plugin] | None = None
            ) -> None:
    """End the chain in ``state`` and give the record back: to the transition's
    rejected state or where it was; or run the chain's own outcome actions."""
    mark(conn, compiled, row.id, state, ctx)
    approval = compiled.approvals[row.approval]
    model = compiled.models[row.entity]
    viewer, current = as_platform(conn, compiled, ctx, model, row.record_id)
    acting = platform_ctx(ctx)
    changed: dict[str, Any] = {}
    if row.transition:
        workflow = compiled.workflows[model.name]
        transition = workflow.transitions[row.transition]
        back = transition.definition.rejected if state == REJECTED else None
        target = back or row.from_state
        if target and current.get(workflow.field) != target:
            changed[workflow.field] = target
        actions = ()
    else:
        actions = approval.on_approve if state == APPROVED else (
            approval.on_reject if state == REJECTED else ())
        changed.update(set_values(model, actions, current, acting))
    note = audit_note(approval.definition.label.get(ctx.locale),
                 comment or message(f"state_{state}", ctx.locale))
    save_changes(conn, viewer, model, acting, current, changed, action=action, note=note,
                 keep_in_reach=False)
    if actions:
        saved = conn.execute(sa.select(model.table).where(model.table.c.id == row.record_id)
                             ).mappings().one()
        run_actions(conn, compiled, model, acting, saved, actions, plugins=plugins or {},
                    event=f"{state}:{approval.name}", submitter_id=row.submitter_id,
                    approval_id=row.id)
        fire_on_referenced(conn, compiled, model, acting, saved, actions,
                           plugins=plugins or {}, cause=approval.definition.label.get(ctx.locale))


def approve_at_once(conn: sa.Connection, viewer: Viewer, model: EntityModel, ctx: Context,
                     current: Mapping[str, Any], approval: CompiledApproval,
                     transition: CompiledTransition | None, plugins: Mapping[str, Plugin],
                     note: str) -> dict[str, Any]:
    locked = conn.execute(sa.select(model.table).where(model.table.c.id == current["id"])
                          ).mappings().one()
    if transition is not None:
        return complete(conn, viewer, model, ctx, locked, {}, transition, plugins=plugins,
                        note=note)
    changed = set_values(model, approval.on_approve, locked, ctx)
    shown = save_changes(conn, viewer, model, ctx, locked, changed, action="approve",
                         note=note, keep_in_reach=False)
    run_actions(conn, viewer.compiled, model, ctx, {**locked, **changed}, approval.on_approve,
                plugins=plugins, event=f"approved:{approval.name}")
    fire_on_referenced(conn, viewer.compiled, model, ctx, {**locked, **changed},
                       approval.on_approve, plugins=plugins,
                       cause=approval.definition.label.get(ctx.locale))
    return shown


def mark(conn: sa.Connection, compiled: Compiled, approval_id: int, state: str,
          ctx: Context) -> None:
    approvals = compiled.tables.approvals
    conn.execute(approvals.update().where(approvals.c.id == approval_id).values(
        state=state, finished_at=ctx.now, version=approvals.c.version + 1))


def as_platform(conn: sa.Connection, compiled: Compiled, ctx: Context, model: EntityModel,
                 record_id: int) -> tuple[Viewer, Mapping[str, Any]]:
    """The chain changes the record itself (whoever decided): lock it as the platform."""
    viewer = Viewer(compiled, platform_ctx(ctx).principal, conn)
    current = conn.execute(lock_statement(model), {"record_id": record_id}).mappings().first()
    if current is None:  # deleted meanwhile: nothing left to change
        raise Conflict(message("record_gone", ctx.locale))
    return viewer, current


def platform_ctx(ctx: Context) -> Context:
    return Context(Principal(ctx.user_id, system=True), ctx.locale, ctx.now)


