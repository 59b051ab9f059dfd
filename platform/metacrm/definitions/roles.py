"""Roles: per entity, which operations a role may do, on which records, and
which fields it may not see or change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .ownership import Conditions
from .texts import NO_TEXT, UNKNOWN, Label, Location

# comment: remark on the record's approval chains, which tells their people (the
# chain's submitter and approvers may anyway). design: change the entity's form layouts
# in the form designer (and add fields to it there).
OPERATIONS = ("read", "create", "update", "delete", "export", "import", "transfer", "claim",
              "release", "comment", "design")
# Record scopes, narrowest first: the owner is the caller; the owner shares a team
# with the caller; the owner is the caller or below them in the reporting line; any.
SCOPES = ("own", "team", "subordinates", "all")
# set_on_create: a read-only field with a default may be given on create (otherwise
# it takes its default: it says who asked, and so who may act and who is told).
FIELD_ACCESS = ("hidden", "readonly", "editable", "set_on_create")
DEFAULT_GRANT = "*"


@dataclass(frozen=True)
class GrantDef:
    """What a role may do with the records of one entity."""

    entity: str  # DEFAULT_GRANT for the role's default (every entity not listed)
    operations: frozenset[str]
    scope: str = "all"
    where: Conditions = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)
    hold_limit: int | None = None
    # "operations: all": each operation where it applies (claim only with a pool…)
    all_operations: bool = False
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = field(default_factory=dict)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@dataclass(frozen=True)
class GrantPatch:
    """A later bundle's change to a role's grant: the keys it gives replace the
    earlier ones (``fields`` merge per field)."""

    entity: str
    operations: frozenset[str] | None = None
    all_operations: bool = False
    scope: str | None = None
    where: Conditions | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    hold_limit: int | None = None
    sets_hold_limit: bool = False
    location: Location = UNKNOWN


@dataclass(frozen=True)
class RoleDef:
    name: str
    label: Label
    help: Label = NO_TEXT
    admin: bool = False  # manages users, teams, roles and customizations; sees everything
    grants: Mapping[str, GrantDef] = field(default_factory=dict)
    bundle: str = ""
    location: Location = UNKNOWN

    def grant(self, entity: str) -> GrantDef | None:
        """The grant for ``entity``: its own, else the role's default, else none."""
        return self.grants.get(entity) or self.grants.get(DEFAULT_GRANT)


@dataclass(frozen=True)
class RoleExtension:
    role: str
    label: Label | None = None
    help: Label | None = None
    patches: tuple[GrantPatch, ...] = ()
    bundle: str = ""
    location: Location = UNKNOWN
