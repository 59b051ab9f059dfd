"""Dashboards: a grid of widgets (a report, a number card, a list view, the approval
inbox), each spanning some of the grid's columns, shown to the roles the dashboard is
for as their start (docs/dashboards.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field

from .texts import NO_TEXT, UNKNOWN, Label, Location

# What a widget shows; one of these keys says which (and names what it shows).
WIDGET_KINDS = ("report", "number", "list", "approvals")
# The keys each kind takes besides its own, `title` and `span`.
WIDGET_KEYS = {
    "report": ("parameters",),
    "number": ("measure", "parameters"),
    "list": ("filters", "columns", "sort", "limit"),
    "approvals": ("limit",),
}
COMMON_WIDGET_KEYS = ("title", "span")
# A grid is this many columns wide unless the dashboard says (on a phone: one).
DEFAULT_COLUMNS = 4
MAX_COLUMNS = 6
DEFAULT_LIST_LIMIT = 5
MAX_LIST_LIMIT = 50
# The approval inbox widget shows the caller's tasks in this state.
APPROVAL_STATES = ("pending",)


@dataclass(frozen=True)
class WidgetDef:
    """One cell of a dashboard. ``kind`` says what it shows and ``target`` which one:
    a report's name (report, number), an entity's (list), the tasks' state (approvals)."""

    kind: str
    target: str
    title: Label = NO_TEXT
    span: int = 1
    parameters: tuple[tuple[str, str], ...] = ()  # a report's, as a query would set them
    measure: str | None = None                   # a number card's
    filters: tuple[tuple[str, str], ...] = ()    # a list's, in the list API's grammar
    columns: tuple[str, ...] = ()
    sort: tuple[str, ...] = ()
    limit: int = DEFAULT_LIST_LIMIT
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@dataclass(frozen=True)
class DashboardDef:
    name: str
    label: Label
    widgets: tuple[WidgetDef, ...]
    roles: tuple[str, ...] = ()  # whose start it is (a role has at most one)
    columns: int = DEFAULT_COLUMNS
    description: Label = NO_TEXT
    bundle: str = ""
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)
