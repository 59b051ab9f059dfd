"""Check report definitions against the catalog: the entity, every field path (filters,
dimensions, measures, parameters) and what each is used for (a sum of a number, a
bucket of a date), the roles a report is for (which must see all it reads), the order,
the parameters' defaults and the presentation. Paths are walked in report_paths.py,
what a role may read in report_reads.py, schedules in report_schedules.py."""

from __future__ import annotations

from collections.abc import Iterable

from ..definitions import BundleDefs, Catalog, EntityDef
from ..definitions.reports import (
    CONVERSION,
    DATE_TYPES,
    FROM_FIRST,
    RATIO,
    MeasureDef,
    ReportDef,
)
from ..errors import ErrorCollector, did_you_mean
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from .report_paths import PathError, default_problem, filter_problem, walk
from .report_reads import check_role_reads
from .report_schedules import check_schedule
from .settings import known_zone

# Query parameters a report's own parameters may not be named.
RESERVED_PARAMETERS = ("lang", "format", "limit", "target")
# Presentations a target line (chart.target) is drawn on; a number card shows it too.
TARGETED = ("bar", "stacked_bar", "line", "area", "number")


def merge_reports(bundles: Iterable[BundleDefs], errors: ErrorCollector
                  ) -> dict[str, ReportDef]:
    """Every bundle's reports by name. Within a bundle a name is used once, except among
    the stored customizations, which are versions (the newest of a name counts: the
    report builder goes back to an earlier one by saving it again); a stored
    customization may replace a bundle's report by giving one of the same name."""
    found: dict[str, ReportDef] = {}
    for bundle in bundles:
        own: dict[str, ReportDef] = {}
        versions = bundle.manifest.name == CUSTOMIZATIONS_BUNDLE
        for report in bundle.reports:
            earlier = own.get(report.name) or (None if versions else found.get(report.name))
            if earlier is not None and not versions:
                errors.add(report.location, f"report '{report.name}' is already defined at "
                           f"{earlier.location}")
                continue
            own[report.name] = report
        found.update(own)
    return found


def check_reports(catalog: Catalog, errors: ErrorCollector) -> None:
    for report in sorted(catalog.reports.values(), key=lambda r: r.location):
        entity = catalog.entities.get(report.entity)
        if entity is None:
            errors.add(report.at("entity"), f"report '{report.name}': unknown entity "
                       f"'{report.entity}'{did_you_mean(report.entity, catalog.entities)}")
            continue
        _check_report(catalog, entity, report, errors)


def _check_report(catalog: Catalog, entity: EntityDef, report: ReportDef,
                  errors: ErrorCollector) -> None:
    what = f"report '{report.name}'"
    for key, value in report.filters:
        problem = filter_problem(catalog, entity, key, value)
        if problem:
            errors.add(report.at(f"filters[{key}]"), f"{what}: filter {problem}")
    for key in ("rows", "columns"):
        dimension = getattr(report, key)
        if dimension is None:
            continue
        where = dimension.location
        try:
            _, kind = walk(catalog, entity, dimension.path)
        except PathError as exc:
            errors.add(where, f"{what}: {key}: {exc}")
            continue
        if kind.item_type is not None or kind.ordering == "none" or not kind.stored:
            errors.add(where, f"{what}: {key}: '{dimension.path}' is {kind.name} field; "
                       "records cannot be grouped by it")
        elif dimension.bucket and kind.name not in DATE_TYPES:
            errors.add(where, f"{what}: {key}: bucket '{dimension.bucket}' needs a date or "
                       f"datetime field; '{dimension.path}' is {kind.name}")
    if report.columns is not None and report.rows is None:
        errors.add(report.at("columns"), f"{what}: 'columns' needs 'rows' (the pivot's "
                   "other side)")
    names = [m.name for m in report.measures]
    _check_funnel(catalog, entity, report, names, errors)
    for measure in report.measures:
        if names.count(measure.name) > 1:
            errors.add(measure.at("name"), f"{what}: measure '{measure.name}' is defined "
                       "twice")
        _check_measure(catalog, entity, report, measure, names, errors)
    _check_order(report, names, errors)
    _check_parameters(catalog, entity, report, errors)
    _check_presentation(report, errors)
    if not known_zone(report.time_zone):
        errors.add(report.at("time_zone"), f"{what}: unknown time zone '{report.time_zone}' "
                   "(an IANA name such as Asia/Shanghai or UTC)")
    _check_roles(catalog, entity, report, errors)
    check_schedule(catalog, entity, report, errors)


def _check_funnel(catalog: Catalog, entity: EntityDef, report: ReportDef, names: list[str],
                  errors: ErrorCollector) -> None:
    if not report.steps:
        return
    what = f"report '{report.name}': funnel"
    if report.dimensions:
        errors.add(report.at("funnel"), f"{what}: a funnel's rows are its steps; it takes "
                   "no 'rows' or 'columns'")
    seen: set[str] = set()
    for step in report.steps:
        if step.name in seen:
            errors.add(step.at("name"), f"{what}: step '{step.name}' is defined twice")
        seen.add(step.name)
        for key, value in step.filters:
            problem = filter_problem(catalog, entity, key, value)
            if problem:
                errors.add(step.at(f"filters[{key}]"), f"{what}: step '{step.name}': filter "
                           f"{problem}")
    for measure in report.measures:
        if measure.name in (CONVERSION, FROM_FIRST):
            errors.add(measure.at("name"), f"{what}: '{measure.name}' is what a funnel "
                       "calls its conversion; name the measure otherwise")


def _check_measure(catalog: Catalog, entity: EntityDef, report: ReportDef,
                   measure: MeasureDef, names: list[str], errors: ErrorCollector) -> None:
    what = f"report '{report.name}': measure '{measure.name}'"
    for key, value in measure.filters:
        problem = filter_problem(catalog, entity, key, value)
        if problem:
            errors.add(measure.at(f"filters[{key}]"), f"{what}: filter {problem}")
    if measure.aggregate == RATIO:
        if measure.field:
            errors.add(measure.at("field"), f"{what}: a ratio divides two measures; it takes "
                       "no 'field'")
        for index, part in enumerate(measure.ratio or ()):
            other = report.measure(part)
            where = measure.at(f"ratio[{index}]")
            if other is None or part == measure.name:
                errors.add(where, f"{what}: ratio: unknown measure '{part}'"
                           f"{did_you_mean(part, [n for n in names if n != measure.name])}")
            elif other.aggregate == RATIO:
                errors.add(where, f"{what}: ratio: '{part}' is a ratio itself; divide "
                           "measures that aggregate records")
        return
    if measure.field is None:
        if measure.aggregate != "count":
            errors.add(measure.location, f"{what}: {measure.aggregate} needs a 'field'")
        return
    try:
        _, kind = walk(catalog, entity, measure.field)
    except PathError as exc:
        errors.add(measure.at("field"), f"{what}: {exc}")
        return
    numeric = kind.expression_type in ("int", "decimal") and kind.references is None
    if measure.aggregate in ("sum", "avg") and not numeric:
        errors.add(measure.at("field"), f"{what}: {measure.aggregate} needs a number field; "
                   f"'{measure.field}' is {kind.name}")
    elif measure.aggregate in ("min", "max") and not (numeric or kind.name in DATE_TYPES):
        errors.add(measure.at("field"), f"{what}: {measure.aggregate} needs a number, date or "
                   f"datetime field; '{measure.field}' is {kind.name}")
    elif kind.item_type is not None or not kind.stored:
        errors.add(measure.at("field"), f"{what}: '{measure.field}' is {kind.name} field; "
                   "it cannot be aggregated")


def _check_order(report: ReportDef, names: list[str], errors: ErrorCollector) -> None:
    what = f"report '{report.name}'"
    known = names + [d.path for d in report.dimensions]
    for item in report.order:
        if item.name not in known:
            errors.add(item.location, f"{what}: order: '{item.name}' is neither a measure nor "
                       f"a dimension{did_you_mean(item.name, known)}")
    if report.limit is not None and report.columns is not None:
        errors.add(report.at("limit"), f"{what}: 'limit' keeps the top rows of a report "
                   "without 'columns'")


def _check_parameters(catalog: Catalog, entity: EntityDef, report: ReportDef,
                      errors: ErrorCollector) -> None:
    for parameter in report.parameters:
        what = f"report '{report.name}': parameter '{parameter.name}'"
        if parameter.name in RESERVED_PARAMETERS:
            errors.add(parameter.location, f"{what}: the name is taken by the API ("
                       + ", ".join(RESERVED_PARAMETERS) + ")")
        try:
            _, kind = walk(catalog, entity, parameter.field)
        except PathError as exc:
            errors.add(parameter.at("field"), f"{what}: {exc}")
            continue
        if parameter.default is None:
            continue
        problem = default_problem(catalog, kind, parameter.default)
        if problem:
            errors.add(parameter.at("default"), f"{what}: default {problem}")


def _check_presentation(report: ReportDef, errors: ErrorCollector) -> None:
    _check_chart(report, errors)
    kind, count = report.presentation, len(report.dimensions) + (1 if report.steps else 0)
    wanted = {"number": 0, "pie": 1, "funnel": 1, "pivot": 2, "stacked_bar": 2}.get(kind)
    if wanted is not None and count != wanted:
        errors.add(report.at("presentation"), f"report '{report.name}': a {kind} shows "
                   f"{_dimensions(wanted)}; this report has {_dimensions(count)}")


def _check_chart(report: ReportDef, errors: ErrorCollector) -> None:
    what = f"report '{report.name}': chart"
    names = [m.name for m in report.measures]
    chart = report.chart
    for index, name in enumerate(chart.measures):
        if name not in names:
            errors.add(chart.at(f"measures[{index}]"), f"{what}: unknown measure '{name}'"
                       f"{did_you_mean(name, names)}")
    if report.presentation == "stacked_bar" and len(chart.measures) > 1:
        errors.add(chart.at("measures"), f"{what}: a stacked bar stacks the columns of one "
                   "measure; name one")
    target = chart.target
    if target is None:
        return
    if report.presentation not in TARGETED:
        errors.add(target.location, f"{what}: a target line is drawn on a "
                   + ", ".join(TARGETED[:-1]) + f" chart or a number card; this report is "
                   f"a {report.presentation}")
    if target.measure is not None and target.measure not in names:
        errors.add(target.location, f"{what}: target: unknown measure '{target.measure}'"
                   f"{did_you_mean(target.measure, names)}")




def _dimensions(count: int) -> str:
    return ("no dimension", "one dimension (rows)", "two dimensions (rows and columns)")[count]


def _check_roles(catalog: Catalog, entity: EntityDef, report: ReportDef,
                 errors: ErrorCollector) -> None:
    for index, name in enumerate(report.roles):
        where = report.at(f"roles[{index}]")
        role = catalog.roles.get(name)
        if role is None:
            errors.add(where, f"report '{report.name}': unknown role '{name}'"
                       f"{did_you_mean(name, catalog.roles)}")
            continue
        check_role_reads(catalog, entity, report, name, where, errors, "which the report "
                          "is for")
