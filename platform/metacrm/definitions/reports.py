"""Reports: an entity's records grouped by up to two dimensions (rows, columns) and
summed up by measures, filtered in the list API's grammar, with parameters a viewer
sets (a period, an owner) and a presentation (docs/reports.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from decimal import Decimal

from .texts import NO_TEXT, UNKNOWN, Label, Location

BUCKETS = ("day", "week", "month", "quarter", "year")
AGGREGATES = ("count", "count_distinct", "sum", "avg", "min", "max")
# A measure is one of AGGREGATES over a field (count needs none), or a ratio of two.
RATIO = "ratio"
PRESENTATIONS = ("table", "pivot", "bar", "stacked_bar", "line", "area", "pie", "funnel",
                 "number")
# Presentations drawn by ECharts (the others are HTML: a table, a pivot, a number card).
CHARTS = ("bar", "stacked_bar", "line", "area", "pie", "funnel")
# The query parameter that sets a report's target line for one run.
TARGET = "target"
PERIODS = ("this_month", "last_month", "this_quarter", "last_quarter", "this_year",
           "last_year", "all")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A value parameter's default that stands for the viewer (a user field: "my …").
ME = "me"
# Field types a dimension may cut into periods and a period parameter applies to.
DATE_TYPES = ("date", "datetime")
# A period parameter's own range: "2026-01-01..2026-03-31" (both days included).
RANGE_SEPARATOR = ".."


@dataclass(frozen=True)
class DimensionDef:
    """What rows (or columns) are: a field or a reference path (``customer.industry``),
    a date or datetime one perhaps cut into ``bucket`` periods."""

    path: str
    bucket: str | None = None
    label: Label = NO_TEXT
    location: Location = UNKNOWN

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))


@dataclass(frozen=True)
class MeasureDef:
    """``aggregate`` over ``field`` (count: the records), counting only the records
    ``filters`` admit; or, with ``ratio``, one measure divided by another."""

    name: str
    aggregate: str
    field: str | None = None
    ratio: tuple[str, str] | None = None
    filters: tuple[tuple[str, str], ...] = ()
    label: Label = NO_TEXT
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@dataclass(frozen=True)
class ParameterDef:
    """A value the viewer may set: a ``period`` of a date/datetime field, or a value a
    field must equal (``owner``: ``me`` for the viewer); ``default`` applies unset."""

    name: str
    field: str
    default: str | None = None
    label: Label = NO_TEXT
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@dataclass(frozen=True)
class OrderDef:
    name: str  # a measure's name, or the rows' dimension path
    descending: bool = False
    location: Location = UNKNOWN


@dataclass(frozen=True)
class FunnelStepDef:
    """One step of a funnel: the records that reached it (list-grammar filters)."""

    name: str
    filters: tuple[tuple[str, str], ...]
    label: Label = NO_TEXT
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


EVERY = ("day", "week", "month")
# A monthly schedule's days: every month has them.
LAST_MONTH_DAY = 28


@dataclass(frozen=True)
class ScheduleDef:
    """E-mail the report every day, week (``day``: a weekday) or month (``day``: 1 to
    28) ``at`` a time of the report's time zone, to users (by username) and the users
    of roles, with ``parameters`` set; each recipient gets it run as themselves."""

    every: str
    at: tuple[int, int] = (8, 0)
    day: str | int | None = None
    roles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at_key(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    @property
    def due_day(self) -> int | str:
        """The weekday (week) or day of the month (month) it goes out on."""
        if self.day is not None:
            return self.day
        return WEEKDAYS[0] if self.every == "week" else 1

@dataclass(frozen=True)
class TargetDef:
    """A line across a chart at ``value`` of ``measure`` (a quota); the viewer may set
    another for a run (``?target=``)."""

    value: Decimal
    measure: str | None = None  # None: the first measure charted
    label: Label = NO_TEXT
    location: Location = UNKNOWN


@dataclass(frozen=True)
class ChartDef:
    """How a chart draws a report: which measures (none given: the first) and a target."""

    measures: tuple[str, ...] = ()
    target: TargetDef | None = None
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


# What a funnel's row adds to its measures: the first measure over the previous step's
# and over the first step's.
CONVERSION, FROM_FIRST = "conversion", "from_first"


@dataclass(frozen=True)
class ReportDef:
    name: str
    entity: str
    label: Label
    measures: tuple[MeasureDef, ...]
    rows: DimensionDef | None = None
    columns: DimensionDef | None = None
    filters: tuple[tuple[str, str], ...] = ()  # (list-API key, value text)
    parameters: tuple[ParameterDef, ...] = ()
    order: tuple[OrderDef, ...] = ()
    limit: int | None = None
    totals: bool = True
    presentation: str = "table"
    chart: ChartDef = ChartDef()
    time_zone: str = ""  # empty until resolved: then the bundles' time zone (or UTC)
    week_starts: str = "monday"
    description: Label = NO_TEXT
    roles: tuple[str, ...] = ()  # who it is for (checked); empty: whoever reads the entity
    steps: tuple[FunnelStepDef, ...] = ()  # a funnel's, in order (then no dimensions)
    schedule: ScheduleDef | None = None  # e-mailed regularly (jobs/report_mail.py)
    bundle: str = ""
    # The document it was built from, as JSON: what the report builder starts from and
    # writes back, keys this engine does not model included.
    source: str = _field(default="{}", compare=False)
    location: Location = UNKNOWN
    key_locations: Mapping[str, Location] = _field(default_factory=dict, compare=False)

    def at(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    @property
    def dimensions(self) -> tuple[DimensionDef, ...]:
        return tuple(d for d in (self.rows, self.columns) if d is not None)

    def measure(self, name: str) -> MeasureDef | None:
        return next((m for m in self.measures if m.name == name), None)

    def parameter(self, name: str) -> ParameterDef | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def charted(self) -> tuple[MeasureDef, ...]:
        """The measures a chart draws: ``chart.measures``, else the first."""
        named = [self.measure(n) for n in self.chart.measures]
        return tuple(m for m in named if m is not None) or self.measures[:1]
