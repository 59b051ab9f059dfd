"""The workflow operations a caller asks for: fire a transition on a record (through
its approval chain when it has one), submit a record to a chain of its own, and what
a record's page shows of both."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import BadQuery, Conflict, Forbidden, Invalid, NotFound, unknown_keys
from ..compile.models import EntityModel
from ..errors import did_you_mean
from ..i18n import message, suggestion
from .approval_views import current_step
from .approvals import start_chain
from .audit_notes import said, stored
from .audit_notes import transition as transition_part
from .locks import pending_chain, refuse_values_while_read_only
from .operation import Operation
from .payload import read_payload
from .stored_rows import check_version, lock_reachable
from .transitions import choices, complete, named_in_who, refusal

MAX_COMMENT = 2000
BODY_KEYS = ("values", "comment")
SUBMIT_KEYS = ("approval", "comment")


def fire(op: Operation, model: EntityModel, record_id: int, name: str, body: Any,
         expected_version: int | None) -> dict[str, Any]:
    """Fire transition ``name``; ``body`` may give ``values`` (fields to set with it, such
    as a lost reason) and a ``comment``. Returns the record and, when the transition
    waits for approval, the chain's id."""
    conn, compiled, ctx = op.conn, op.compiled, op.ctx
    workflow = compiled.workflows.get(model.name)
    if workflow is None:
        raise NotFound(message("no_workflow", ctx.locale,
                               entity=model.entity.plural.get(ctx.locale)), key="transition")
    transition = workflow.transitions.get(name)
    if transition is None:
        raise NotFound(message("unknown_transition", ctx.locale, name=name,
                               entity=model.entity.label.get(ctx.locale),
                               hint=suggestion(name, workflow.transitions, ctx.locale)),
                       key="transition")
    viewer = op.viewer
    access = viewer.of(model)
    operation = "read" if named_in_who(transition, ctx) else "update"
    access.require(operation, ctx)
    values, comment = _read_body(model, ctx, body, access)
    if operation == "read":
        # Named in `who` without the right to update: they may fire it and fill in what
        # it requires, not change the rest of the record on the way.
        extra = sorted(set(values) - set(transition.definition.requires))
        if extra:
            raise Forbidden(message("transition_values_required_only", ctx.locale,
                                    fields=", ".join(transition.definition.requires) or "-"),
                            key=extra[0])
    current = lock_reachable(conn, viewer, model, record_id, ctx, operation)
    check_version(current, expected_version, ctx)
    pending = pending_chain(op, model, record_id)
    merged = {**current, **values}
    problem = refusal(op, model, workflow, transition, merged, pending=pending is not None)
    if problem is not None:
        raise problem
    refuse_values_while_read_only(op, model, current, values, transition)
    if transition.definition.approval:
        approval = compiled.approvals[transition.definition.approval]
        record, approval_id = start_chain(op, model, current, values, approval,
                                          transition=transition, comment=comment)
        return {"record": record, "approval": approval_id}
    note = stored(said(transition_part(model.name, transition.name), comment))
    record = complete(op, model, current, values, transition, note=note)
    return {"record": record, "approval": None}


def submit(op: Operation, model: EntityModel, record_id: int, approval_name: Any,
           comment: Any, expected_version: int | None) -> dict[str, Any]:
    """Submit a record to an approval chain that no transition starts (an approval
    attached to the entity itself). 404 for an entity that has no such chain: like a
    pool or a workflow, the resource does not exist for it (and the OpenAPI document
    lists the path only where it does)."""
    conn, compiled, ctx = op.conn, op.compiled, op.ctx
    workflow = compiled.workflows.get(model.name)
    transitions = list(workflow.transitions.values()) if workflow else []
    started = {t.definition.approval for t in transitions}
    if all(name in started for name in model.approvals):
        raise NotFound(message("no_own_approval", ctx.locale,
                               entity=model.entity.plural.get(ctx.locale),
                               transitions=", ".join(t.name for t in transitions
                                                     if t.definition.approval) or "-"),
                       key="entity")
    approval = compiled.approvals.get(approval_name) if isinstance(approval_name, str) else None
    if not isinstance(approval_name, str):
        approval_name = ""  # never echo a caller's object or number into the message
    if approval is None or approval.definition.entity != model.name:
        names = [a for a in model.approvals]
        raise Invalid({"approval": [message("unknown_approval", ctx.locale,
                                            name=approval_name,
                                            names=", ".join(names) or "-",
                                            hint=did_you_mean(str(approval_name), names))]})
    through = [t.name for t in transitions if t.definition.approval == approval.name]
    if through:
        raise Conflict(message("approval_by_transition", ctx.locale, transition=through[0]))
    viewer = op.viewer
    viewer.of(model).require("update", ctx)
    text = _comment(comment, ctx)
    current = lock_reachable(conn, viewer, model, record_id, ctx, "update")
    check_version(current, expected_version, ctx)
    if pending_chain(op, model, record_id) is not None:
        raise Conflict(message("already_pending", ctx.locale))
    record, approval_id = start_chain(op, model, current, {}, approval, transition=None,
                                      comment=text)
    return {"record": record, "approval": approval_id}


def workflow_view(op: Operation, model: EntityModel, record_id: int) -> dict[str, Any]:
    """What a record's page shows besides its fields: the transitions the caller may
    fire now (and why not the others), and the approval chain it waits for."""
    compiled, ctx = op.compiled, op.ctx
    if model.name not in compiled.workflows and not model.approvals:
        return {}
    pending = pending_chain(op, model, record_id)
    view: dict[str, Any] = {}
    if model.name in compiled.workflows:
        row = op.conn.execute(sa.select(model.table).where(model.table.c.id == record_id)
                              ).mappings().first()
        if row is not None:
            view["_transitions"] = choices(op, model, dict(row), pending=pending is not None)
    if model.approvals:
        view["_approval"] = None if pending is None else {
            "id": pending["id"], "approval": pending["approval"],
            "label": compiled.approvals[pending["approval"]].definition.label.get(ctx.locale)
            if pending["approval"] in compiled.approvals else pending["approval"],
            "step": current_step(pending),
            "submitted_at": pending["submitted_at"], "submitter": pending["submitter_id"]}
    return view


def _read_body(model: EntityModel, ctx: Context, body: Any, access: Any
               ) -> tuple[dict[str, Any], str | None]:
    if body is None:
        return {}, None
    if not isinstance(body, dict):
        raise BadQuery(message("bad_json", ctx.locale))
    unknown, more = unknown_keys(body, BODY_KEYS, ctx.locale)
    if unknown:
        raise Invalid(unknown, more=more)
    values = body.get("values") or {}
    values = read_payload(model, ctx, values, creating=False, access=access) if values else {}
    return values, _comment(body.get("comment"), ctx)


def submission(body: Any, ctx: Context) -> tuple[Any, str | None]:
    """The approval named and the comment of a submission body (``{"approval": name,
    "comment": text}``); any other key is a 422, not silently dropped."""
    if not isinstance(body, dict):
        raise BadQuery(message("bad_json", ctx.locale))
    unknown, more = unknown_keys(body, SUBMIT_KEYS, ctx.locale)
    if unknown:
        raise Invalid(unknown, more=more)
    return body.get("approval"), _comment(body.get("comment"), ctx)


def _comment(value: Any, ctx: Context) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid({"comment": [message("invalid", ctx.locale, kind="text")]})
    text = value.strip()
    if len(text) > MAX_COMMENT:
        raise Invalid({"comment": [message("max_length", ctx.locale, max=MAX_COMMENT)]})
    return text or None
