"""A report's parameters from a query string: each checked (a bad one is a 400 naming
it), its default applied, and turned into filters of the list grammar, so the run and
its drill-down links filter alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ..base.problems import BadQuery
from ..definitions import Catalog, ReportDef
from ..definitions.reports import (
    DATE_TYPES,
    ME,
    PERIODS,
    RANGE_SEPARATOR,
    TARGET,
    ParameterDef,
)
from ..resolve.report_paths import default_problem, walk
from ..resolve.reports import TARGETED
from .report_buckets import bucket_end, day_bound

# Query parameters every report takes besides its own.
COMMON = ("lang",)
FROM, TO = "_from", "_to"  # a period's own range: <name>_from, <name>_to (days)


@dataclass(frozen=True)
class Setting:
    """One parameter as it applies: its value (None: not set) and its filters."""

    name: str
    value: str | None
    filters: tuple[tuple[str, str], ...]
    start: date | None = None  # a period's first day
    end: date | None = None  # and its last


def read_parameters(catalog: Catalog, report: ReportDef, args: Mapping[str, Sequence[str]],
                    user_id: int | None, now: datetime) -> list[Setting]:
    """Every parameter of ``report`` as set by ``args`` (or its default)."""
    errors: dict[str, list[str]] = {}
    known = {*COMMON}
    if report.presentation in TARGETED:
        known.add(TARGET)
    for parameter in report.parameters:
        known.update((parameter.name, parameter.name + FROM, parameter.name + TO))
    for key in args:
        if key not in known:
            errors[key] = [f"'{report.name}' has no parameter '{key}'; it takes: "
                           + (", ".join(p.name for p in report.parameters) or "none")]
    settings = []
    for parameter in report.parameters:
        try:
            settings.append(_setting(catalog, report, parameter, args, user_id, now))
        except ValueError as exc:
            errors.setdefault(str(exc.args[1]) if len(exc.args) > 1 else parameter.name,
                              []).append(str(exc.args[0]))
    if errors:
        raise BadQuery(errors)
    return settings


def _single(args: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = args.get(key) or []
    if len(values) > 1:
        raise ValueError(f"'{key}' is given {len(values)} times", key)
    return values[0] if values else None


def _setting(catalog: Catalog, report: ReportDef, parameter: ParameterDef,
             args: Mapping[str, Sequence[str]], user_id: int | None, now: datetime
             ) -> Setting:
    entity = catalog.entities[report.entity]
    _, kind = walk(catalog, entity, parameter.field)
    name = parameter.name
    raw = _single(args, name)
    if kind.name in DATE_TYPES:
        low, high = _single(args, name + FROM), _single(args, name + TO)
        if low is not None or high is not None:
            if raw is not None:
                raise ValueError(f"give '{name}' or '{name}{FROM}'/'{name}{TO}', not both",
                                 name)
            raw = f"{low or ''}{RANGE_SEPARATOR}{high or ''}"
        value = raw if raw is not None else parameter.default
        start, end = period_days(value, report.time_zone, now, name)
        filters = []
        if start is not None:
            filters.append((f"{parameter.field}__gte", day_bound(start, kind.name,
                                                                   report.time_zone)))
        if end is not None:
            filters.append((f"{parameter.field}__lt",
                            day_bound(end + timedelta(days=1), kind.name, report.time_zone)))
        return Setting(name, value, tuple(filters), start, end)
    value = raw if raw is not None else parameter.default
    if value in (None, "", "all"):
        return Setting(name, None, ())
    problem = default_problem(catalog, kind, value)
    if problem:
        raise ValueError(problem, name)
    if value == ME:
        return Setting(name, ME, ((parameter.field, str(user_id) if user_id else "0"),))
    return Setting(name, value, ((parameter.field, value),))


def period_days(value: str | None, zone: str, now: datetime, name: str = "period"
                ) -> tuple[date | None, date | None]:
    """The first and last day of a period (None: unbounded) in ``zone`` at ``now``."""
    if value in (None, "", "all"):
        return None, None
    today = now.astimezone(ZoneInfo(zone)).date()
    if value in PERIODS:
        unit, back = value.split("_", 1)[1], value.startswith("last_")
        months = {"month": 1, "quarter": 3, "year": 12}[unit]
        index = today.year * 12 + today.month - 1
        index -= index % 12 if unit == "year" else index % months
        if back:
            index -= months
        start = date(index // 12, index % 12 + 1, 1)
        return start, bucket_end(start, unit) - timedelta(days=1)
    low, separator, high = value.partition(RANGE_SEPARATOR)
    if not separator:
        raise ValueError(f"'{value}' is not a period: one of {', '.join(PERIODS)}, or a range "
                         f"'2026-01-01{RANGE_SEPARATOR}2026-03-31' ({name}{FROM}, {name}{TO})",
                         name)
    try:
        first = date.fromisoformat(low) if low else None
        last = date.fromisoformat(high) if high else None
    except ValueError:
        raise ValueError(f"'{value}': the range's ends are days like 2026-03-31",
                         name) from None
    if first and last and first > last:
        raise ValueError(f"the period starts ({first}) after it ends ({last})", name)
    return first, last


def parameter_kind(catalog: Catalog, report: ReportDef, parameter: ParameterDef) -> str:
    """"period" for a date or datetime field, else "value"."""
    _, kind = walk(catalog, catalog.entities[report.entity], parameter.field)
    return "period" if kind.name in DATE_TYPES else "value"


def read_target(report: ReportDef, args: Mapping[str, Sequence[str]]) -> Decimal | None:
    """The run's target line: ``?target=`` (a number; empty: the definition's), else the
    definition's (None: no line)."""
    defined = report.chart.target.value if report.chart.target else None
    if report.presentation not in TARGETED:
        return None
    raw = (args.get(TARGET) or [""])[-1].strip()
    if not raw:
        return defined
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) >= Decimal("1e15"):
        raise BadQuery({TARGET: [f"'{raw}' is not a number (a target such as 500000)"]})
    return value


def previous_settings(catalog: Catalog, report: ReportDef, settings: list[Setting]
                      ) -> list[Setting] | None:
    """``settings`` with the first bounded period moved to the period just before it,
    of the same length: whole months (this quarter: the last) or else as many days.
    None when no period parameter has both ends (nothing to compare with)."""
    for index, setting in enumerate(settings):
        parameter = report.parameter(setting.name)
        if setting.start is None or setting.end is None or parameter is None:
            continue
        _, kind = walk(catalog, catalog.entities[report.entity], parameter.field)
        if kind.name not in DATE_TYPES:
            continue
        start, end = period_before(setting.start, setting.end)
        filters = ((f"{parameter.field}__gte", day_bound(start, kind.name, report.time_zone)),
                   (f"{parameter.field}__lt",
                    day_bound(end + timedelta(days=1), kind.name, report.time_zone)))
        moved = replace(setting, filters=filters, start=start, end=end)
        return [*settings[:index], moved, *settings[index + 1:]]
    return None


def period_before(start: date, end: date) -> tuple[date, date]:
    """The period as long as ``start``..``end`` (both days included) just before it."""
    after = end + timedelta(days=1)
    if start.day == 1 and after.day == 1:  # whole months: as many months before
        months = (after.year - start.year) * 12 + after.month - start.month
        index = start.year * 12 + start.month - 1 - months
        return date(index // 12, index % 12 + 1, 1), start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)
