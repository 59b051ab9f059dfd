"""What a record page offers besides its fields: the workflow's transitions (each
with the fields it requires, or the reason it cannot be fired now), the approval
chain the record waits for (steps, approvers, timeline, what the viewer may do),
and the record's history. The buttons post to the REST API itself (app.js), so a
page can do nothing the API would refuse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext

from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..definitions.entities import FieldDef
from ..runtime.approval_views import detail, people
from ..runtime.operation import Operation
from ..runtime.reads import read_history


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    allowed: bool
    reason: str | None
    requires: tuple[FieldDef, ...]
    approval: str | None


# What happened, in the reader's language (approval timeline kinds, audit actions).
EVENT_WORDS = {
    "submit": lazy_gettext("submitted"), "step": lazy_gettext("step started"),
    "approve": lazy_gettext("approved"), "reject": lazy_gettext("rejected"),
    "comment": lazy_gettext("commented"), "withdraw": lazy_gettext("withdrew"),
    "delegate": lazy_gettext("handed on"), "skip": lazy_gettext("step skipped"),
    "escalate": lazy_gettext("escalated"), "done": lazy_gettext("finished"),
    "create": lazy_gettext("created"), "update": lazy_gettext("changed"),
    "delete": lazy_gettext("deleted"), "restore": lazy_gettext("restored"),
    "transition": lazy_gettext("moved on"), "transfer": lazy_gettext("transferred"),
    # a chain's end, as the record's history records it (approval_outcomes.settle)
    "approved": lazy_gettext("approved"), "rejected": lazy_gettext("rejected"),
    "withdrawn": lazy_gettext("withdrew"),
}


def event_word(kind: str) -> str:
    word = EVENT_WORDS.get(kind)
    return str(word) if word is not None else kind


def transitions(compiled: Compiled, model: EntityModel, choices: list[dict[str, Any]],
                record: dict[str, Any]) -> list[Transition]:
    """Each transition with the required fields the record still lacks (asked for
    next to its button)."""
    workflow = compiled.workflows.get(model.name)
    definitions = {t.definition.name: t.definition for t in workflow.transitions.values()} \
        if workflow else {}
    found = []
    for choice in choices:
        definition = definitions.get(choice["name"])
        requires = tuple(model.entity.fields[name] for name in definition.requires
                         if name in model.entity.fields
                         and record.get(name) in (None, "", [])) if definition else ()
        found.append(Transition(choice["name"], choice["label"], choice["allowed"],
                                choice["reason"], requires, choice.get("approval")))
    return found


def submittable(compiled: Compiled, model: EntityModel) -> list[Any]:
    """Chains a record is submitted to directly (not through a transition's approval)."""
    workflow = compiled.workflows.get(model.name)
    through_transitions = {t.definition.approval for t in workflow.transitions.values()} \
        if workflow else set()
    return [compiled.approvals[name].definition for name in model.approvals
            if name in compiled.approvals and name not in through_transitions]


def approval_detail(op: Operation, pending: dict[str, Any] | None) -> dict[str, Any] | None:
    return detail(op, pending["id"]) if pending else None


def history(op: Operation, model: EntityModel, record_id: int, limit: int = 20
            ) -> list[dict[str, Any]]:
    """The newest changes the viewer may see (hidden fields left out by the engine)."""
    found = (read_history(op.conn, op.viewer, model, record_id, op.ctx.locale) or []
             )[:limit]
    names = people(op, {entry["user_id"] for entry in found})
    return [{**entry, "user": names.get(entry["user_id"], {}).get("name", "")}
            for entry in found]
