"""Workflows (a record's life as a state machine) and approval chains."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from .texts import NO_TEXT, UNKNOWN, Label, Location

ACTION_KINDS = ("set", "create", "notify", "hook", "fire")
APPROVER_KINDS = ("role", "users", "manager", "field")
DECISIONS = ("any", "all")


@dataclass(frozen=True)
class ActionDef:
    """Something a transition (or an approval's outcome) does as it happens."""

    kind: str
    # set: field -> CEL expression of the record; create: the new record's fields
    values: Mapping[str, str] = dataclasses.field(default_factory=dict)
    entity: str | None = None  # create: of which entity
    # notify: whom ("owner", "submitter", "role:<name>", "field:<user field>")
    to: tuple[str, ...] = ()
    message: Label = NO_TEXT
    hook: str | None = None  # hook: "<plugin>.<hook>"
    # fire: the transition to fire on the record a reference field points at
    reference: str | None = None
    transition: str | None = None
    location: Location = UNKNOWN


@dataclass(frozen=True)
class WhoDef:
    """Who may fire a transition (any of these); empty: whoever may update the record."""

    roles: tuple[str, ...] = ()
    owner: bool = False
    fields: tuple[str, ...] = ()  # user fields of the record

    @property
    def anyone(self) -> bool:
        return not (self.roles or self.owner or self.fields)


@dataclass(frozen=True)
class TransitionDef:
    name: str
    label: Label
    sources: tuple[str, ...]  # the states it leaves (YAML: from)
    to: str
    who: WhoDef = WhoDef()
    when: str | None = None  # a guard: CEL over the record
    message: Label = NO_TEXT  # why, when the guard says no
    requires: tuple[str, ...] = ()  # fields that must have a value
    actions: tuple[ActionDef, ...] = ()
    approval: str | None = None  # the chain that must approve before `to` is reached
    pending: str | None = None  # the state while the chain runs
    rejected: str | None = None  # the state a rejection leads to (default: back)
    location: Location = UNKNOWN


@dataclass(frozen=True)
class WorkflowDef:
    name: str
    entity: str
    field: str  # a choice field: its options are the states
    label: Label
    transitions: tuple[TransitionDef, ...]
    help: Label = NO_TEXT
    initial: str | None = None  # default: the field's default, else its first option
    final: tuple[str, ...] = ()
    # States in which the record is read-only (transitions still move it on), and the
    # references ("<entity>.<reference field>") whose records are read-only with it.
    read_only: tuple[str, ...] = ()
    read_only_with: tuple[str, ...] = ()
    # Set when the catalog is resolved: ``initial``, else the field's default, else its
    # first option.
    initial_state: str = ""
    bundle: str = ""
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = dataclasses.field(default_factory=dict)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    def transition(self, name: str) -> TransitionDef | None:
        return next((t for t in self.transitions if t.name == name), None)


@dataclass(frozen=True)
class ApproverDef:
    """Who approves a step: holders of a role, named users, the submitter's manager
    ``levels`` up (for escalation: the approver's), or the user in a field."""

    kind: str
    role: str | None = None
    users: tuple[str, ...] = ()
    levels: int = 1
    field: str | None = None
    # Where it is written (for messages); two approvers are the same wherever written.
    location: Location | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True)
class StepDef:
    name: str
    label: Label
    approvers: ApproverDef
    decide: str = "any"  # any: one approval completes the step; all: every approver's
    when: str | None = None  # CEL over the record, evaluated when the chain starts
    reject_to: str = "submitter"  # submitter | previous | <an earlier step>
    remind_after: int | None = None  # seconds
    escalate_after: int | None = None
    escalate_to: ApproverDef | None = None
    location: Location = UNKNOWN


@dataclass(frozen=True)
class ApprovalDef:
    name: str
    entity: str
    label: Label
    steps: tuple[StepDef, ...]
    help: Label = NO_TEXT
    on_approve: tuple[ActionDef, ...] = ()
    on_reject: tuple[ActionDef, ...] = ()
    bundle: str = ""
    location: Location = UNKNOWN

    def step(self, name: str) -> StepDef | None:
        return next((s for s in self.steps if s.name == name), None)
