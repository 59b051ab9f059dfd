"""The demo organisation a bundle may declare (``demo/`` folder): who signs in to
try it, in which teams and reporting line, and which plugin fills the records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .texts import UNKNOWN, Label, Location


@dataclass(frozen=True)
class DemoPersonDef:
    username: str
    name: str
    roles: tuple[str, ...] = ()
    team: str | None = None
    manager: str | None = None
    # Whether the demo's records are spread over this person (as their owner).
    holds_records: bool = False
    location: Location = UNKNOWN
    role_locations: tuple[Location, ...] = ()  # where each of ``roles`` is written


@dataclass(frozen=True)
class DemoDef:
    name: str
    administrator: DemoPersonDef
    # A plugin as METACRM_PLUGINS names one ("package.module:attribute") whose
    # ``demo_data`` hook creates the records (see plugins.DemoRequest).
    generator: str
    label: Label = field(default_factory=lambda: Label(()))
    teams: Mapping[str, str] = field(default_factory=dict)
    people: tuple[DemoPersonDef, ...] = ()
    # How many records of each approval chain are put in front of it, so that the
    # demo's inboxes are not empty.
    requests_per_approval: int = 2
    bundle: str = ""
    location: Location = UNKNOWN
