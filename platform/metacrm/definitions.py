"""Frozen value types for every definition the engine understands.

Definitions are built once from validated YAML (see ``build.py``), merged
across bundles by ``resolve.py`` and never mutated afterwards; compiling is a
pure function of them.  Every definition carries the ``Location`` it came from
so that any later phase can report an error a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("en", "zh")


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}" if self.col else f"{self.file}:{self.line}"
        return self.file


UNKNOWN = Location("<unknown>")


@dataclass(frozen=True)
class Label:
    """A text in several languages; ``get`` falls back to English, then any."""

    texts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, value: str | Mapping[str, str] | None, fallback: str = "") -> Label:
        if value is None:
            return cls((("en", fallback),)) if fallback else cls(())
        if isinstance(value, str):
            return cls((("en", value),))
        return cls(tuple(sorted(value.items())))

    def get(self, lang: str = "en") -> str:
        texts = dict(self.texts)
        return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")

    def as_dict(self) -> dict[str, str]:
        return dict(self.texts)

    def __bool__(self) -> bool:
        return bool(self.texts)


def humanize(name: str) -> str:
    return name.replace("_", " ").capitalize()


# --- option sets --------------------------------------------------------------


@dataclass(frozen=True)
class OptionDef:
    value: str
    label: Label
    help: Label = Label(())
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
    help: Label = Label(())
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
    # decimal precision
    scale: int | None = None
    location: Location = UNKNOWN

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


@dataclass(frozen=True)
class RuleDef:
    """A validation rule across fields: ``check`` must hold, else ``message``."""

    name: str
    check: str
    message: Label
    field: str | None = None
    when: str | None = None
    location: Location = UNKNOWN


@dataclass(frozen=True)
class EntityDef:
    name: str
    label: Label
    plural: Label
    fields: Mapping[str, FieldDef]
    help: Label = Label(())
    title: str | None = None
    search: tuple[str, ...] = ()
    indexes: tuple[IndexDef, ...] = ()
    rules: tuple[RuleDef, ...] = ()
    default_sort: tuple[str, ...] = ("-id",)
    bundle: str = ""
    location: Location = UNKNOWN

    def field(self, name: str) -> FieldDef | None:
        return self.fields.get(name)


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
    bundle: str = ""
    location: Location = UNKNOWN


@dataclass(frozen=True)
class OptionSetExtension:
    optionset: str
    options: tuple[OptionDef, ...]
    label: Label | None = None
    bundle: str = ""
    location: Location = UNKNOWN


@dataclass(frozen=True)
class BundleManifest:
    name: str
    version: str
    label: Label
    requires: tuple[str, ...] = ()
    path: str = ""
    location: Location = UNKNOWN


@dataclass(frozen=True)
class BundleDefs:
    """Everything one bundle folder declares, before merging with others."""

    manifest: BundleManifest
    entities: tuple[EntityDef, ...] = ()
    optionsets: tuple[OptionSetDef, ...] = ()
    entity_extensions: tuple[EntityExtension, ...] = ()
    optionset_extensions: tuple[OptionSetExtension, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """The resolved, merged definitions of every loaded bundle."""

    bundles: tuple[BundleManifest, ...]
    entities: Mapping[str, EntityDef]
    optionsets: Mapping[str, OptionSetDef]

    def entity(self, name: str) -> EntityDef | None:
        return self.entities.get(name)
