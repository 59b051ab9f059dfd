"""Transitions of a record's workflow: whether the caller may fire one now (and why
not), and completing one: the new state, its ``set`` actions in the same write, then
its other actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import Conflict, Forbidden, Invalid, Problem
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..compile.workflows import CompiledTransition, CompiledWorkflow
from ..expressions import EmptyValue, EvaluationError
from ..i18n import message
from .actions import caller_values, run_actions, set_values
from .audit_notes import Part, written
from .audit_notes import transition as transition_part
from .holdings import record_holder
from .locks import pending_chain
from .operation import Operation
from .rows import Row
from .stored_rows import locking
from .writes import save_changes


def refusal(op: Operation, model: EntityModel, workflow: CompiledWorkflow,
            transition: CompiledTransition, record: Row, *, pending: bool,
            reachable: bool = True) -> Problem | None:
    """Why the caller may not fire ``transition`` on ``record`` now (None: they may).
    ``reachable``: the record is within the caller's update scope."""
    ctx, viewer = op.ctx, op.viewer
    lang = ctx.locale
    definition = transition.definition
    label = definition.label.get(lang)
    access = viewer.of(model)
    if not named_in_who(transition, ctx) and (not access.allows("update") or not reachable):
        return Forbidden(message("transition_forbidden", lang, transition=label))
    if pending:
        return Conflict(message("transition_pending", lang, transition=label))
    state = record.get(workflow.field)
    if state not in definition.sources:
        return Conflict(message("transition_state", lang, transition=label,
                                state=state, states=", ".join(definition.sources)))
    if not access.policy.unrestricted and not _may_fire(op, model, definition.who, record):
        return Forbidden(message("transition_who", lang, transition=label,
                                 who=_who_text(definition.who, viewer.compiled, lang)))
    missing = [name for name in definition.requires if record.get(name) in (None, "", [])]
    if missing:
        return Conflict({name: [message("transition_requires", lang, transition=label)]
                         for name in missing})
    if transition.guard is not None:
        try:
            holds = transition.guard.evaluate(caller_values(model, record, ctx))
        except EmptyValue:
            holds = False  # a guard that cannot be evaluated (an empty field) does not hold
        except EvaluationError as exc:
            return Invalid(message("condition_failed", lang, what=label, reason=exc.located()))
        if holds is not True:
            return Conflict(definition.message.get(lang) or message(
                "transition_guard", lang, transition=label, guard=definition.when))
    return None


def named_in_who(transition: CompiledTransition, ctx: Context) -> bool:
    """A role the transition names in ``who`` may fire it on any record it may read,
    without ``update``: finance completes a contract it only reads."""
    return bool(set(transition.definition.who.roles) & ctx.principal.roles)


def _may_fire(op: Operation, model: EntityModel, who: Any, record: Row) -> bool:
    principal = op.ctx.principal
    if who.anyone or set(who.roles) & principal.roles:
        return True
    if any(record.get(name) == principal.user_id for name in who.fields):
        return True
    return bool(who.owner) and record_holder(op.conn, op.compiled, model, record) \
        == principal.user_id


def _who_text(who: Any, compiled: Compiled, lang: str) -> str:
    parts = [compiled.catalog.roles[r].label.get(lang) if r in compiled.catalog.roles else r
             for r in who.roles]
    if who.owner:
        parts.append(message("who_owner", lang))
    parts += [message("who_field", lang, field=name) for name in who.fields]
    return ", ".join(parts)


def choices(op: Operation, model: EntityModel, record: Mapping[str, Any], *, pending: bool
            ) -> list[dict[str, Any]]:
    """Every transition leaving the record's state, each saying whether the caller may
    fire it now and, if not, why."""
    workflow = op.compiled.workflows.get(model.name)
    if workflow is None:
        return []
    ctx = op.ctx
    leaving = workflow.leaving(record.get(workflow.field))
    reachable = bool(leaving) and _reaches(op, model, record["id"])
    found = []
    for transition in leaving:
        problem = refusal(op, model, workflow, transition, record, pending=pending,
                          reachable=reachable)
        definition = transition.definition
        found.append({
            "name": definition.name, "label": definition.label.get(ctx.locale),
            "to": definition.to, "approval": definition.approval,
            "allowed": problem is None,
            "reason": None if problem is None else "; ".join(
                m for messages in problem.errors.values() for m in messages)})
    return found


def _reaches(op: Operation, model: EntityModel, record_id: int) -> bool:
    access = op.viewer.of(model)
    if not access.allows("update"):
        return False
    scope = access.condition("update")
    if scope is None:
        return True
    return op.conn.execute(sa.select(model.table.c.id).where(
        model.table.c.id == record_id, scope)).first() is not None


def complete(op: Operation, model: EntityModel, current: Row,
             values: Mapping[str, Any], transition: CompiledTransition, *, note: str | None,
             submitter_id: int | None = None, approval_id: int | None = None
             ) -> dict[str, Any]:
    """Move the locked record ``current`` to the transition's state with ``values`` and
    what its ``set`` actions give, in one write; then run its other actions."""
    return complete_saved(op, model, current, values, transition, note=note,
                          submitter_id=submitter_id, approval_id=approval_id)[0]


def complete_saved(op: Operation, model: EntityModel, current: Row,
                   values: Mapping[str, Any], transition: CompiledTransition, *,
                   note: str | None, submitter_id: int | None = None,
                   approval_id: int | None = None,
                   audit_before: list[dict[str, Any]] | None = None,
                   audit_later: list[dict[str, Any]] | None = None
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``complete``: the record as the caller sees it, and the record as saved (before
    the transition's actions other than ``set`` ran). ``audit_before`` and
    ``audit_later``: see save_changes."""
    conn, ctx, compiled, plugins = op.conn, op.ctx, op.compiled, op.plugins
    workflow = compiled.workflows[model.name]
    changed = dict(values)
    changed[workflow.field] = transition.definition.to
    merged = {**current, **changed}
    changed.update(set_values(model, transition.actions, merged, ctx))
    saved: dict[str, Any] = {}
    shown = save_changes(conn, op.viewer, model, ctx, current, changed, action="transition",
                         note=note, keep_in_reach=False, audit_before=audit_before,
                         audit_later=audit_later,
                         saved_row=saved)
    run_actions(conn, compiled, model, ctx, saved, transition.actions, plugins=plugins,
                event=f"transition:{transition.name}", submitter_id=submitter_id,
                approval_id=approval_id)
    fire_on_referenced(op, model, saved, transition.actions,
                       cause=transition_part(model.name, transition.name))
    return shown, saved


MAX_FIRE_DEPTH = 4


def fire_on_referenced(op: Operation, model: EntityModel, record: Row,
                       actions: Any, *, cause: Part, depth: int = 0) -> None:
    """The ``fire`` actions: fire a transition on the record a reference points at (an
    approved reissue marks its original invoice), as the platform, in this same
    transaction. Its guards and required fields still apply: if it may not happen,
    nothing does (409, saying why)."""
    compiled, ctx = op.compiled, op.ctx
    for action in actions:
        definition = action.definition
        if definition.kind != "fire" or record.get(definition.reference) is None:
            continue
        if depth >= MAX_FIRE_DEPTH:
            raise Conflict(message("fire_too_deep", ctx.locale, max=MAX_FIRE_DEPTH))
        field = model.entity.fields[definition.reference or ""]
        target = compiled.models[field.to or ""]
        workflow = compiled.workflows[target.name]
        transition = workflow.transitions[definition.transition or ""]
        acting = op.as_platform()
        current = op.conn.execute(locking(target), {
            "record_id": record[definition.reference]}).mappings().first()
        if current is None:
            continue  # a deleted record has no state left to move
        waiting = pending_chain(op, target, current["id"]) is not None
        problem = refusal(acting, target, workflow, transition, current, pending=waiting)
        if problem is not None:
            raise Conflict({key: [f"{target.entity.label.get(ctx.locale)} #{current['id']}: "
                                  f"{text}" for text in texts]
                            for key, texts in problem.errors.items()})
        complete(acting, target, current, {}, transition,
                 note=written("note_fired", transition=transition_part(target.name,
                                                                       transition.name),
                              cause=cause))
