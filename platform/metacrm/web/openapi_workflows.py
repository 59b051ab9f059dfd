"""Describe an entity's workflow and approval chains in the OpenAPI document: the
state field only transitions change, what a record shows of both (``_transitions``,
``_approval``), firing a transition and submitting a record to a chain of its own."""

from __future__ import annotations

from copy import deepcopy
from typing import Any, NamedTuple

from ..definitions import ApprovalDef, Catalog, EntityDef, TransitionDef, WorkflowDef
from ..runtime.workflow import MAX_COMMENT
from .openapi_parts import (
    OPTIONAL_TEXT,
    TEXT,
    Schema,
    body,
    closed,
    obj,
    operation,
    param,
    params,
    path,
    ref,
)

COMMENT: Schema = {"type": ["string", "null"], "maxLength": MAX_COMMENT,
                   "description": "Goes with the request into the record's history and the "
                   "chain's timeline."}


class EntityFlow(NamedTuple):
    """What of the catalog's workflows and approvals concerns one entity."""

    workflow: WorkflowDef | None
    approvals: tuple[ApprovalDef, ...]  # every chain of the entity
    own: tuple[ApprovalDef, ...]  # the chains no transition starts (submitted on their own)

    @property
    def state_field(self) -> str | None:
        return self.workflow.field if self.workflow else None


def entity_flow(catalog: Catalog, entity: str) -> EntityFlow | None:
    """The entity's workflow and chains; None when it has neither."""
    workflow = catalog.workflow_of(entity)
    approvals = tuple(a for a in catalog.approvals.values() if a.entity == entity)
    if workflow is None and not approvals:
        return None
    started = {t.approval for t in (workflow.transitions if workflow else ()) if t.approval}
    return EntityFlow(workflow, approvals, tuple(a for a in approvals
                                                 if a.name not in started))


def state_note(entity: str) -> str:
    """What the state field's description says."""
    return (f"The workflow's state: only its transitions change it (`POST /api/{entity}/"
            "{id}/transitions/{name}`); a new record starts in the initial state.")


def flow_properties(flow: EntityFlow) -> dict[str, Schema]:
    """``_transitions`` and ``_approval`` as a record shows them (web/api.py get_entity,
    runtime/workflow.py workflow_view)."""
    where = "In the answer of GET of one record and of a transition or submission."
    found: dict[str, Schema] = {}
    if flow.workflow is not None:
        transitions = flow.workflow.transitions
        found["_transitions"] = {
            "type": "array", "readOnly": True,
            "description": "Every transition leaving the record's state; `allowed` says "
            f"whether the caller may fire it now, `reason` why not. {where}",
            "items": obj("name label to approval allowed reason",
                         name={"enum": [t.name for t in transitions]}, label=TEXT,
                         to={"enum": list(dict.fromkeys(t.to for t in transitions))},
                         approval={"type": ["string", "null"], "description": "The chain "
                                   "that must approve it first."},
                         allowed={"type": "boolean"}, reason=OPTIONAL_TEXT)}
    if flow.approvals:
        steps = list(dict.fromkeys(s.name for a in flow.approvals for s in a.steps))
        found["_approval"] = {
            "readOnly": True,
            "description": "The approval chain the record waits for (`GET /api/approvals/"
            f"{{id}}`), or null. While it runs the record cannot be changed. {where}",
            "oneOf": [{"type": "null"}, obj(
                "id approval label step submitted_at submitter", id={"type": "integer"},
                approval={"enum": [a.name for a in flow.approvals]}, label=TEXT,
                step={"enum": steps, "description": "The current step."},
                submitted_at={"type": "string", "format": "date-time"},
                submitter={"type": ["integer", "null"], "description": "The user's id."})]}
    return deepcopy(found)  # the module's constants are in it; the document's owner may change it


def detail_schema(base: str, flow: EntityFlow | None) -> Schema:
    """One record as GET (and a transition) answers it: with its flow's properties."""
    if flow is None:
        return ref(base)
    return {"allOf": [ref(base), {"required": list(flow_properties(flow))}]}


def _transition_line(transition: TransitionDef, lang: str) -> str:
    line = (f"`{transition.name}` ({transition.label.get(lang) or transition.name}): "
            f"{', '.join(transition.sources)} → {transition.to}")
    if transition.approval:
        line += f", after approval `{transition.approval}`" + (
            f" (meanwhile `{transition.pending}`)" if transition.pending else "")
    if transition.requires:
        line += f"; needs {', '.join(transition.requires)}"
    return line


def flow_paths(flow: EntityFlow, entity: EntityDef, base: str, tag: str, lang: str,
               taken: set[str]) -> dict[str, Any]:
    """Firing a transition (with a workflow) and submitting to a chain no transition
    starts (with one)."""
    name = entity.name
    answer = detail_schema(base, flow)

    def op(verb: str, summary: str, code: str, **more: Any) -> Schema:
        return operation(f"{verb}_{name}", tag, summary, code, answer,
                         "400 401 403 404 409 412 422", taken, ("ETag",),
                         parameters=params("IfMatch"), **more)

    found: dict[str, Any] = {}
    if flow.workflow is not None:
        transitions = flow.workflow.transitions
        request = closed(obj(
            "", values={"anyOf": [ref(base + "Update"), {"type": "null"}],
                        "description": "Fields to set with the transition (a lost reason, "
                        "a field it requires); as a PATCH takes them."},
            comment=COMMENT))
        found[f"/api/{name}/{{id}}/transitions/{{name}}"] = path(
            "RecordId", param("name", "path", {"enum": [t.name for t in transitions]},
                              "The transition.", required=True),
            post=op("fire_transition", f"Fire a transition of one {name}", "200",
                    requestBody=body(request, required=False), description=(
                        "Moves the record along its workflow, running the transition's "
                        "actions; one that needs approval starts its chain and leaves the "
                        "record waiting (`_approval`). `403`: the caller may not fire it; "
                        "`404`: an unknown transition; `409`: not from this state, a "
                        "required field empty, a guard, a chain pending, a plugin refused. "
                        "Transitions: " + "; ".join(_transition_line(t, lang)
                                                    for t in transitions) + ".")))
    if flow.own:
        request = closed(obj("approval", approval={"enum": [a.name for a in flow.own]},
                             comment=COMMENT))
        found[f"/api/{name}/{{id}}/approvals"] = path("RecordId", post=op(
            "submit_approval", f"Submit one {name} to an approval chain", "201",
            requestBody=body(request), description="For a chain no transition starts; "
            "answers the record, now waiting for it (`_approval`; null when no step applied "
            "and it was approved at once). `409`: a chain is already pending, or no one "
            "else can approve a step, or a transition starts that chain. Decide it under "
            "`/api/approvals`."))
    return deepcopy(found)  # see flow_properties
