"""Entities, their fields, indexes and rules, and the option sets choices draw from."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .ownership import AssignmentRuleDef, PoolDef, ReturnRuleDef, TransferDef
from .texts import NO_TEXT, UNKNOWN, Label, Location

# --- option sets --------------------------------------------------------------


@dataclass(frozen=True)
class OptionDef:
    value: str
    label: Label
    help: Label = NO_TEXT
    color: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    location: Location = UNKNOWN

    def attribute(self, name: str, default: Any = None) -> Any:
        return self.attributes.get(name, default)


@dataclass(frozen=True)
class OptionSetDef:
    name: str
    label: Label
    options: tuple[OptionDef, ...]
    location: Location = UNKNOWN

    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    def option(self, value: str) -> OptionDef | None:
        return next((o for o in self.options if o.value == value), None)


# --- fields -------------------------------------------------------------------

FIELD_TYPES = (
    "string", "text", "integer", "decimal", "money", "percent", "boolean",
    "date", "datetime", "choice", "multi_choice", "reference", "multi_reference",
    "user", "email", "phone", "url", "json", "autonumber", "formula", "rollup",
)
COMPUTED_TYPES = ("autonumber", "formula", "rollup")
AGGREGATES = ("count", "sum", "avg", "min", "max")
ON_DELETE_RULES = ("restrict", "cascade", "set_null")


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: Label
    help: Label = NO_TEXT
    required: bool = False
    unique: bool = False
    indexed: bool = False
    readonly: bool = False
    default: Any = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    # choice / multi_choice: a named option set, or an inline one named
    # "<entity>.<field>" by the builder
    options: str | None = None
    # reference / multi_reference
    to: str | None = None
    on_delete: str = "restrict"
    # autonumber
    format: str | None = None
    # formula
    expression: str | None = None
    result: str | None = None
    # rollup: an aggregate of the records of another entity that refer to this one
    source: str | None = None           # "<entity>.<reference field>"
    aggregate: str | None = None
    of: str | None = None
    where: Mapping[str, Any] | None = None
    # decimal precision, and how a computed number is rounded to it
    scale: int | None = None
    rounding: str = "half_up"
    # clean: steps (name, option) applied to a written value, in order (cleaning/).
    clean: tuple[tuple[str, str | None], ...] = ()
    location: Location = UNKNOWN
    # Where each key's value was written ("options", "expression", "to"...), so that a
    # diagnostic about one points at its line, not at the field's name.
    value_locations: Mapping[str, Location] = dataclasses.field(
        default_factory=dict, compare=False, repr=False)

    def at(self, key: str) -> Location:
        """Where ``key``'s value was written ("where.state": that condition's value,
        else the whole 'where'), else the field's name."""
        while key not in self.value_locations and "." in key:
            key = key.rsplit(".", 1)[0]
        return self.value_locations.get(key, self.location)

    @property
    def stored(self) -> bool:
        """Whether the field is a column of the entity's own table."""
        return self.type != "multi_reference"

    @property
    def value_type(self) -> str:
        """The type of the value: a formula or rollup has the type of its result."""
        if self.type in ("formula", "rollup"):
            return self.result or "decimal"
        return self.type

    @property
    def computed(self) -> bool:
        """Set by the platform only (autonumber, formula, rollup)."""
        return self.type in COMPUTED_TYPES

    @property
    def writable(self) -> bool:
        return not self.readonly and self.type not in COMPUTED_TYPES


@dataclass(frozen=True)
class IndexDef:
    fields: tuple[str, ...]
    unique: bool = False
    name: str | None = None
    location: Location = UNKNOWN
    include: tuple[str, ...] = ()  # carried in the index, not searched by (PostgreSQL)
    include_location: Location = UNKNOWN


@dataclass(frozen=True)
class RuleDef:
    """A validation rule across fields: ``check`` must hold, else ``message``."""

    name: str
    check: str
    message: Label
    field: str | None = None
    when: str | None = None
    location: Location = UNKNOWN
    value_locations: Mapping[str, Location] = dataclasses.field(
        default_factory=dict, compare=False, repr=False)

    def at(self, key: str) -> Location:
        return self.value_locations.get(key, self.location)


DUPLICATE_ACTIONS = ("warn", "block")


@dataclass(frozen=True)
class DuplicateRuleDef:
    """When a new record is a likely duplicate of a live one: the same values of
    ``fields`` (after cleaning), or a name (``fuzzy``) at least ``threshold`` similar
    (0-100) among records of the same block (see runtime/duplicates.py)."""

    name: str
    label: Label
    action: str = "warn"
    fields: tuple[str, ...] = ()
    fuzzy: str | None = None
    threshold: int = 90
    location: Location = UNKNOWN


def block_column(field: str) -> str:
    """The hidden column holding the blocking key of a fuzzy rule's field (a double
    underscore: no field's name has one)."""
    return f"{field}__block"


# The fields every entity's table has besides its own, by value type.
SYSTEM_FIELD_TYPES = {
    "id": "integer", "created_at": "datetime", "updated_at": "datetime", "created_by": "user",
    "updated_by": "user", "version": "integer", "deleted_at": "datetime",
}
# A literal standing for the user doing the operation (role conditions, defaults).
CURRENT_USER = "$user"


@dataclass(frozen=True)
class EntityDef:
    name: str
    label: Label
    plural: Label
    fields: Mapping[str, FieldDef]
    help: Label = NO_TEXT
    title: str | None = None
    search: tuple[str, ...] = ()
    indexes: tuple[IndexDef, ...] = ()
    rules: tuple[RuleDef, ...] = ()
    default_sort: tuple[str, ...] = ("-id",)
    # Ownership: a user field (the owner), or a reference field (the record is held
    # by whoever holds the referenced record). Record scopes of roles follow it.
    owned_by: str | None = None
    pool: PoolDef | None = None
    assignment: tuple[AssignmentRuleDef, ...] = ()
    transfer: TransferDef | None = None
    duplicates: tuple[DuplicateRuleDef, ...] = ()
    bundle: str = ""
    location: Location = UNKNOWN
    # Where each top-level key (and "pool.<key>") was written, for precise diagnostics.
    key_locations: Mapping[str, Location] = field(default_factory=dict)
    # Set when the catalog is resolved: the formulas, each after those it uses.
    formula_order: tuple[str, ...] = ()

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    def field(self, name: str) -> FieldDef | None:
        return self.fields.get(name)

    @property
    def block_columns(self) -> tuple[str, ...]:
        """The hidden columns of its fuzzy duplicate rules' blocking keys."""
        return tuple(dict.fromkeys(block_column(r.fuzzy) for r in self.duplicates if r.fuzzy))

    @property
    def owner_field(self) -> str | None:
        """The user field that holds the owner directly, if the entity has one."""
        if self.owned_by is None:
            return None
        owner = self.fields.get(self.owned_by)
        return self.owned_by if owner is not None and owner.type == "user" else None

    def field_types(self) -> dict[str, str]:
        """Every field's value type by name, the system fields included."""
        types = dict(SYSTEM_FIELD_TYPES)
        types.update({name: f.value_type for name, f in self.fields.items()})
        return types


@dataclass(frozen=True)
class EntityExtension:
    """A later bundle's (or a runtime customization's) additions to an entity."""

    entity: str
    fields: Mapping[str, FieldDef] = field(default_factory=dict)
    label: Label | None = None
    plural: Label | None = None
    help: Label | None = None
    search: tuple[str, ...] = ()
    indexes: tuple[IndexDef, ...] = ()
    rules: tuple[RuleDef, ...] = ()
    field_labels: Mapping[str, tuple[Label, Location]] = field(default_factory=dict)
    owned_by: str | None = None
    pool: PoolDef | None = None
    # Rules with the name of an earlier rule replace it; others are added.
    return_rules: tuple[ReturnRuleDef, ...] = ()
    assignment: tuple[AssignmentRuleDef, ...] = ()
    transfer: TransferDef | None = None
    bundle: str = ""
    location: Location = UNKNOWN


@dataclass(frozen=True)
class OptionSetExtension:
    optionset: str
    options: tuple[OptionDef, ...]
    label: Label | None = None
    bundle: str = ""
    location: Location = UNKNOWN
