"""Build workflows and approval chains from schema-valid documents."""

from __future__ import annotations

from typing import Any

from ..definitions import (
    ActionDef,
    ApprovalDef,
    ApproverDef,
    Label,
    StepDef,
    TransitionDef,
    WhoDef,
    WorkflowDef,
    humanize,
)
from ..load.documents import Document
from .ownership import duration_seconds


def build_workflow(doc: Document, bundle: str) -> WorkflowDef:
    data = doc.data
    name = data["workflow"]
    return WorkflowDef(
        name=name, entity=data["entity"], field=data["field"],
        label=Label.of(data.get("label"), humanize(name)), help=Label.of(data.get("help")),
        transitions=tuple(_transition(doc, i, spec)
                          for i, spec in enumerate(data["transitions"])),
        initial=_state(data.get("initial")), final=tuple(str(s) for s in data.get("final", ())),
        read_only=tuple(str(s) for s in data.get("read_only", {}).get("states", ())),
        read_only_with=tuple(data.get("read_only", {}).get("with", ())),
        bundle=bundle, location=doc.key_at("workflow"),
        key_locations={key: doc.key_at(key) for key in data})


def build_approval(doc: Document, bundle: str) -> ApprovalDef:
    data = doc.data
    name = data["approval"]
    return ApprovalDef(
        name=name, entity=data["entity"], label=Label.of(data.get("label"), humanize(name)),
        help=Label.of(data.get("help")),
        steps=tuple(_step(doc, i, spec) for i, spec in enumerate(data["steps"])),
        on_approve=build_actions(doc, ("on_approve",)),
        on_reject=build_actions(doc, ("on_reject",)),
        bundle=bundle, location=doc.key_at("approval"))


def build_actions(doc: Document, path: tuple[Any, ...]) -> tuple[ActionDef, ...]:
    spec: Any = doc.data
    for step in path:
        spec = spec.get(step, []) if isinstance(spec, dict) else spec[step]
    actions = []
    for i, item in enumerate(spec or ()):
        (kind, body), = item.items()
        where = doc.at(*path, i)
        if kind == "set":
            actions.append(ActionDef("set", values=_expressions(body), location=where))
        elif kind == "create":
            actions.append(ActionDef("create", values=_expressions(body["values"]),
                                     entity=body["entity"], location=where))
        elif kind == "notify":
            to = body["to"]
            actions.append(ActionDef("notify", to=(to,) if isinstance(to, str) else tuple(to),
                                     message=Label.of(body["message"]), location=where))
        elif kind == "fire":
            actions.append(ActionDef("fire", reference=body["record"],
                                     transition=body["transition"], location=where))
        else:
            actions.append(ActionDef("hook", hook=body, location=where))
    return tuple(actions)


def _expressions(values: dict[str, Any]) -> dict[str, str]:
    """Values to set are CEL expressions; a number, true/false or null is its literal."""
    return {name: value if isinstance(value, str) else _literal(value)
            for name, value in values.items()}


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(float(value)) if isinstance(value, float) else str(value)


def _state(value: Any) -> str | None:
    return None if value is None else str(value)


def _transition(doc: Document, index: int, spec: dict[str, Any]) -> TransitionDef:
    sources = spec["from"]
    who = spec.get("who", {})
    return TransitionDef(
        name=spec["name"], label=Label.of(spec.get("label"), humanize(spec["name"])),
        sources=tuple(str(s) for s in (sources if isinstance(sources, list) else [sources])),
        to=str(spec["to"]),
        who=WhoDef(roles=tuple(who.get("roles", ())), owner=bool(who.get("owner", False)),
                   fields=tuple(who.get("fields", ()))),
        when=spec.get("when"), message=Label.of(spec.get("message")),
        requires=tuple(spec.get("requires", ())),
        actions=build_actions(doc, ("transitions", index, "actions")),
        approval=spec.get("approval"), pending=_state(spec.get("pending")),
        rejected=_state(spec.get("rejected")), location=doc.at("transitions", index))


def approver(spec: dict[str, Any], doc: Document, *path: Any) -> ApproverDef:
    """The approvers written at ``path`` of ``doc`` (``spec``: their mapping)."""
    (kind, value), = spec.items()
    where = doc.at(*path, kind)  # a misspelt role or field is reported at its own line
    if kind == "role":
        return ApproverDef("role", role=value, location=where)
    if kind == "users":
        return ApproverDef("users", users=tuple(value), location=where)
    if kind == "manager":
        return ApproverDef("manager", levels=int(value), location=where)
    return ApproverDef("field", field=value, location=where)


def _step(doc: Document, index: int, spec: dict[str, Any]) -> StepDef:
    return StepDef(
        name=spec["name"], label=Label.of(spec.get("label"), humanize(spec["name"])),
        approvers=approver(spec["approvers"], doc, "steps", index, "approvers"),
        decide=spec.get("decide", "any"),
        when=spec.get("when"), reject_to=spec.get("reject_to", "submitter"),
        remind_after=duration_seconds(spec["remind_after"]) if "remind_after" in spec else None,
        escalate_after=(duration_seconds(spec["escalate_after"]) if "escalate_after" in spec
                        else None),
        escalate_to=(approver(spec["escalate_to"], doc, "steps", index, "escalate_to")
                     if "escalate_to" in spec else None),
        location=doc.at("steps", index))
