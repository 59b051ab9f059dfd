"""Forms: how an entity's records are laid out on pages (tabs, sections, fields with
conditions, related lists, the list's columns and a quick-create form), per role."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .texts import NO_TEXT, UNKNOWN, Label, Location

# The three conditions a field may carry, each CEL over the record (a bool).
FIELD_CONDITIONS = ("visible_if", "required_if", "readonly_if")


@dataclass(frozen=True)
class FormFieldDef:
    name: str
    span: int = 1  # how many of its section's columns it takes
    help: Label = NO_TEXT  # shown under the control (the field's own help otherwise)
    placeholder: Label = NO_TEXT
    visible_if: str | None = None
    required_if: str | None = None
    readonly_if: str | None = None
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    def conditions(self) -> Iterable[tuple[str, str]]:
        """(kind, CEL source) of each condition the field carries."""
        for kind in FIELD_CONDITIONS:
            source = getattr(self, kind)
            if source:
                yield kind, source


@dataclass(frozen=True)
class SectionDef:
    title: Label
    fields: tuple[FormFieldDef, ...]
    columns: int = 2
    collapsible: bool = False
    collapsed: bool = False  # a collapsible section that starts closed
    visible_if: str | None = None
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@dataclass(frozen=True)
class TabDef:
    name: str
    label: Label
    sections: tuple[SectionDef, ...]
    location: Location = UNKNOWN


@dataclass(frozen=True)
class RelatedListDef:
    """The records of ``entity`` whose reference field ``via`` points at this one, or
    whose chain of references ``via`` (``contract.customer``) leads to it."""

    entity: str
    via: str
    label: Label = NO_TEXT  # default: the child entity's plural
    columns: tuple[str, ...] = ()  # default: the child's generated list columns
    limit: int = 10
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    @property
    def path(self) -> tuple[str, ...]:
        """The reference fields from the child to this record (``via`` may pass through
        another entity: ``contract.customer``)."""
        return tuple(self.via.split("."))

    @property
    def direct(self) -> bool:
        """Whether the child points at the record itself (so a new child can be
        created with the reference filled in)."""
        return "." not in self.via


@dataclass(frozen=True)
class FormDef:
    name: str
    entity: str
    label: Label
    tabs: tuple[TabDef, ...] = ()
    related: tuple[RelatedListDef, ...] = ()
    list_columns: tuple[str, ...] = ()  # empty: the generated columns
    quick_create: tuple[FormFieldDef, ...] = ()  # empty: no quick-create form
    # The roles this layout is for; empty: everyone without a layout of their own.
    roles: tuple[str, ...] = ()
    priority: int = 0  # of two layouts for a user's roles, the higher wins
    bundle: str = ""
    # The bundle whose layout of the same name this one replaces ("": none does).
    replaces: str = ""
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    def fields(self) -> Iterable[tuple[SectionDef | None, FormFieldDef]]:
        """Every field the record layout shows, with its section, in order."""
        for tab in self.tabs:
            for section in tab.sections:
                for item in section.fields:
                    yield section, item

    def field(self, name: str) -> FormFieldDef | None:
        return next((f for _, f in self.fields() if f.name == name), None)

    def section_of(self, name: str) -> SectionDef | None:
        return next((s for s, f in self.fields() if f.name == name), None)
