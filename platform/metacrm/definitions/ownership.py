"""Who holds a record, and how records change hands: the public pool, automatic
return, assignment rules for new records, and what a transfer carries along."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .texts import UNKNOWN, Label, Location

# A condition on a record: each named field must equal one of the listed values
# (None stands for an empty field). All fields must match.
Conditions = Mapping[str, tuple[Any, ...]]

ASSIGNMENT_METHODS = ("round_robin", "least_loaded")


@dataclass(frozen=True)
class ReturnRuleDef:
    """Records held but left idle for ``idle_days`` go back to the pool on their own."""

    name: str
    label: Label
    idle_days: int
    # Datetime fields whose latest value counts as activity; the time the
    # current owner got the record always counts too.
    activity: tuple[str, ...] = ()
    where: Conditions = field(default_factory=dict)
    unless: Conditions = field(default_factory=dict)
    every_seconds: int = 3600
    location: Location = UNKNOWN


@dataclass(frozen=True)
class PoolDef:
    """Records whose owner field is empty form the pool; anyone allowed may claim one."""

    label: Label
    on_claim: Mapping[str, Any] = field(default_factory=dict)
    on_return: Mapping[str, Any] = field(default_factory=dict)
    # A datetime field the engine sets whenever the owner changes.
    assigned_at: str | None = None
    # A datetime field stamped whenever the record goes back to the pool (by hand or
    # by a return rule) and kept when it is claimed again: when it was last returned.
    returned_at: str | None = None
    # Records that do not count towards a role's hold limit (e.g. signed customers).
    hold_limit_excludes: Conditions = field(default_factory=dict)
    return_rules: tuple[ReturnRuleDef, ...] = ()
    location: Location = UNKNOWN


@dataclass(frozen=True)
class AssignmentRuleDef:
    """Give a new record without an owner to a member of a team."""

    name: str
    label: Label
    team: str
    method: str = "round_robin"
    when: Conditions = field(default_factory=dict)
    location: Location = UNKNOWN


@dataclass(frozen=True)
class CarryDef:
    """Records of ``entity`` that refer to a transferred record through ``through``
    and are held by its previous owner move with it."""

    entity: str
    through: str
    where: Conditions = field(default_factory=dict)
    location: Location = UNKNOWN


@dataclass(frozen=True)
class TransferDef:
    carry: tuple[CarryDef, ...] = ()
    location: Location = UNKNOWN
