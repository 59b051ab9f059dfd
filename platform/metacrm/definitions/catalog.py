"""Bundles, what each declares, and the resolved catalog of everything loaded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from .dashboards import DashboardDef
from .demo import DemoDef
from .entities import EntityDef, EntityExtension, OptionSetDef, OptionSetExtension
from .forms import FormDef
from .intake import IntakeDef
from .reports import ReportDef
from .roles import RoleDef, RoleExtension
from .texts import UNKNOWN, Label, Location
from .workflows import ApprovalDef, WorkflowDef

if TYPE_CHECKING:
    from ..fieldtypes import FieldTypes


def _builtin_field_types() -> FieldTypes:
    # Imported here: the field types' modules import these definitions.
    from ..fieldtypes import builtin_field_types
    return builtin_field_types()


@dataclass(frozen=True)
class NavigationGroup:
    """One heading of the pages' navigation and the entities under it, in order."""

    label: Label
    entities: tuple[str, ...]
    location: Location = UNKNOWN
    entity_locations: tuple[Location, ...] = ()

    def at(self, index: int) -> Location:
        return self.entity_locations[index] if index < len(self.entity_locations) \
            else self.location


@dataclass(frozen=True)
class BundleSettings:
    """The settings a bundle declares (``settings:`` in bundle.yaml); None: not set.
    A later bundle's setting wins over an earlier one's (Catalog.settings)."""

    # The region of phone numbers written without a country code (the ``phone`` clean
    # step without an option), an ISO 3166 code such as CN.
    phone_region: str | None = None
    # The time zone people work in (an IANA name such as Asia/Shanghai): pages show
    # moments in it, a form's or a spreadsheet's time without an offset is taken in it,
    # and a report without its own time_zone buckets dates in it. None: UTC.
    time_zone: str | None = None
    # Where each setting is written, by name.
    locations: tuple[tuple[str, Location], ...] = ()

    NAMES: ClassVar[tuple[str, ...]] = ("phone_region", "time_zone")

    def location_of(self, name: str) -> Location:
        return dict(self.locations).get(name, UNKNOWN)

    @property
    def zone(self) -> str:
        """The time zone's name (UTC when no bundle sets one)."""
        return self.time_zone or "UTC"

    @property
    def tzinfo(self) -> ZoneInfo:
        """The time zone (resolve/settings.py refuses a name the zone database lacks)."""
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class BundleManifest:
    name: str
    version: str
    label: Label
    requires: tuple[str, ...] = ()
    path: str = ""
    location: Location = UNKNOWN
    navigation: tuple[NavigationGroup, ...] = ()
    settings: BundleSettings = BundleSettings()


@dataclass(frozen=True)
class BundleDefs:
    """Everything one bundle folder declares, before merging with others."""

    manifest: BundleManifest
    entities: tuple[EntityDef, ...] = ()
    optionsets: tuple[OptionSetDef, ...] = ()
    entity_extensions: tuple[EntityExtension, ...] = ()
    optionset_extensions: tuple[OptionSetExtension, ...] = ()
    roles: tuple[RoleDef, ...] = ()
    role_extensions: tuple[RoleExtension, ...] = ()
    workflows: tuple[WorkflowDef, ...] = ()
    approvals: tuple[ApprovalDef, ...] = ()
    demo: DemoDef | None = None
    forms: tuple[FormDef, ...] = ()
    reports: tuple[ReportDef, ...] = ()
    intakes: tuple[IntakeDef, ...] = ()
    dashboards: tuple[DashboardDef, ...] = ()


# The name of the bundle runtime customizations are loaded as (after every other).
CUSTOMIZATIONS_BUNDLE = "customizations"


@dataclass(frozen=True)
class Catalog:
    """The resolved, merged definitions of every loaded bundle."""

    bundles: tuple[BundleManifest, ...]
    entities: Mapping[str, EntityDef]
    optionsets: Mapping[str, OptionSetDef]
    roles: Mapping[str, RoleDef] = field(default_factory=dict)
    workflows: Mapping[str, WorkflowDef] = field(default_factory=dict)
    approvals: Mapping[str, ApprovalDef] = field(default_factory=dict)
    # The field types the definitions were checked against (built-in and plugins').
    field_types: FieldTypes = field(default_factory=_builtin_field_types, compare=False)
    # The demo organisation of the last bundle that declares one.
    demo: DemoDef | None = None
    forms: Mapping[str, FormDef] = field(default_factory=dict)  # by name
    reports: Mapping[str, ReportDef] = field(default_factory=dict)  # by name
    intakes: Mapping[str, IntakeDef] = field(default_factory=dict)  # sources of leads, by name
    dashboards: Mapping[str, DashboardDef] = field(default_factory=dict)  # by name

    @property
    def product_label(self) -> Label | None:
        """What the pages call the product: the label of the last bundle loaded (a
        template on top of the CRM names itself), customizations aside."""
        return next((b.label for b in reversed(self.bundles)
                     if b.name != CUSTOMIZATIONS_BUNDLE), None)

    @property
    def navigation(self) -> tuple[NavigationGroup, ...]:
        """The pages' navigation: the groups of the last bundle that declares them
        (a template on top of another reorganises the menu by declaring its own)."""
        return next((b.navigation for b in reversed(self.bundles) if b.navigation), ())

    @cached_property  # read per request and per record (time zone, phone region)
    def settings(self) -> BundleSettings:
        """The bundles' settings: each the last bundle's that sets it (a template on top
        of crm may set its own phone region), with where that bundle set it."""
        chosen: dict[str, Any] = {}
        locations: dict[str, Location] = {}
        for bundle in self.bundles:
            for name in BundleSettings.NAMES:
                value = getattr(bundle.settings, name)
                if value is not None:
                    chosen[name] = value
                    locations[name] = bundle.settings.location_of(name)
        return BundleSettings(**chosen, locations=tuple(locations.items()))

    def workflow_of(self, entity: str) -> WorkflowDef | None:
        """The workflow attached to ``entity`` (at most one)."""
        return next((w for w in self.workflows.values() if w.entity == entity), None)

    def forms_of(self, entity: str) -> tuple[FormDef, ...]:
        """The layouts of ``entity``, in name order."""
        return tuple(sorted((f for f in self.forms.values() if f.entity == entity),
                            key=lambda f: f.name))

    def entity(self, name: str) -> EntityDef | None:
        return self.entities.get(name)

    def option_values(self, entity: EntityDef) -> dict[str, tuple[str, ...]]:
        """The option values of each of ``entity``'s fields that has an option set (the
        texts an expression may compare them with)."""
        return {name: self.optionsets[field.options].values()
                for name, field in entity.fields.items()
                if field.options and field.options in self.optionsets}
