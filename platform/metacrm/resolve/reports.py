"""Check report definitions against the catalog: the entity, every field path (filters,
dimensions, measures, parameters) and what each is used for (a sum of a number, a
bucket of a date), the roles a report is for (which must see all it reads), the order,
the parameters' defaults and the presentation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..definitions import BundleDefs, Catalog, EntityDef, Location
from ..definitions.reports import (
    CONVERSION,
    DATE_TYPES,
    FROM_FIRST,
    LAST_MONTH_DAY,
    ME,
    PERIODS,
    RANGE_SEPARATOR,
    RATIO,
    WEEKDAYS,
    MeasureDef,
    ReportDef,
)
from ..errors import ErrorCollector, did_you_mean
from ..fieldtypes import FieldType
from ..load.bundles import CUSTOMIZATIONS_BUNDLE

# Operators every field takes in the list grammar, whatever its type says.
ANY_FIELD_OPERATORS = ("in", "isnull")
MAX_PATH = 4
# Query parameters a report's own parameters may not be named.
RESERVED_PARAMETERS = ("lang", "format", "limit", "target")
# Presentations a target line (chart.target) is drawn on; a number card shows it too.
TARGETED = ("bar", "stacked_bar", "line", "area", "number")


class PathError(ValueError):
    """A field path that does not lead to a field."""


def walk(catalog: Catalog, entity: EntityDef, path: str
         ) -> tuple[list[tuple[EntityDef, str]], FieldType]:
    """The (entity, field) steps of ``path`` (references then a field) and the type of
    its last field's value; PathError says what is wrong."""
    steps: list[tuple[EntityDef, str]] = []
    names = path.split(".")
    if len(names) > MAX_PATH:
        raise PathError(f"'{path}' follows more than {MAX_PATH - 1} references")
    current = entity
    for index, name in enumerate(names):
        types = current.field_types()
        if name not in types:
            raise PathError(f"unknown field '{name}' of '{current.name}'"
                            f"{did_you_mean(name, types)}")
        steps.append((current, name))
        kind = catalog.field_types.kind(types[name])
        if kind is None:
            raise PathError(f"field '{name}' of '{current.name}' has an unknown type")
        if index == len(names) - 1:
            return steps, kind
        field = current.fields.get(name)
        if kind.references != "record" or field is None or field.to not in catalog.entities \
                or kind.item_type is not None:
            raise PathError(f"'{name}' of '{current.name}' is not a reference: '.' follows "
                            "references only")
        current = catalog.entities[field.to or ""]
    raise PathError("an empty path")  # pragma: no cover - the schema refuses ""


def filter_problem(catalog: Catalog, entity: EntityDef, key: str, value: str) -> str | None:
    """What is wrong with one filter of the list grammar (``path__op: value``), if
    anything; the same rules GET /api/<entity> applies (runtime/query.py)."""
    path, _, op = key.partition("__")
    op = op or "eq"
    try:
        steps, kind = walk(catalog, entity, path)
    except PathError as exc:
        return str(exc)
    owner, name = steps[-1]
    field = owner.fields.get(name)
    if op not in kind.operators and op not in ANY_FIELD_OPERATORS:
        return (f"operator '{op}' does not apply to '{path}' ({kind.name}); it takes: "
                + ", ".join(dict.fromkeys((*kind.operators, *ANY_FIELD_OPERATORS))))
    if op == "isnull":
        return None if value in ("true", "false") else f"{key}: isnull takes true or false"
    parse = catalog.field_types.kind(kind.item_type) if kind.item_type else kind
    items = value.split(",") if op == "in" else [value]
    if op in ("contains", "startswith"):
        return None
    options = (catalog.optionsets[field.options].values()
               if field is not None and field.options
               and field.options in catalog.optionsets else None)
    for item in items:
        if options is not None and item not in options:
            return f"{key}: '{item}' is not one of {', '.join(options)}"
        try:
            (parse or kind).parse(item)
        except ValueError as exc:
            return f"{key}: {exc}"
    return None


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
    try:
        ZoneInfo(report.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add(report.at("time_zone"), f"{what}: unknown time zone '{report.time_zone}' "
                   "(an IANA name such as Asia/Shanghai or UTC)")
    _check_roles(catalog, entity, report, errors)
    _check_schedule(catalog, entity, report, errors)


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


def default_problem(catalog: Catalog, kind: FieldType, value: str) -> str | None:
    """What is wrong with ``value`` for a parameter of a field of ``kind``."""
    if kind.name in DATE_TYPES:
        return period_problem(value)
    if value == ME:
        return None if kind.name == "user" else f"'{ME}' stands for a user; this is {kind.name}"
    try:
        kind.parse(value)
    except ValueError as exc:
        return str(exc)
    return None


def period_problem(value: str) -> str | None:
    if value in PERIODS:
        return None
    start, separator, end = value.partition(RANGE_SEPARATOR)
    try:
        if separator and date.fromisoformat(start) <= date.fromisoformat(end):
            return None
    except ValueError:
        pass
    return (f"'{value}' is not a period: one of {', '.join(PERIODS)}, or a range of days "
            f"'2026-01-01{RANGE_SEPARATOR}2026-03-31'")


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


def paths_of(report: ReportDef) -> Iterator[tuple[str, Location]]:
    """Every field path the report reads, with where it is written."""
    for key, _ in report.filters:
        yield key.partition("__")[0], report.at(f"filters[{key}]")
    for dimension in report.dimensions:
        yield dimension.path, dimension.location
    for measure in report.measures:
        if measure.field:
            yield measure.field, measure.at("field")
        for key, _ in measure.filters:
            yield key.partition("__")[0], measure.at(f"filters[{key}]")
    for parameter in report.parameters:
        yield parameter.field, parameter.at("field")
    for step in report.steps:
        for key, _ in step.filters:
            yield key.partition("__")[0], step.at(f"filters[{key}]")


def _check_roles(catalog: Catalog, entity: EntityDef, report: ReportDef,
                 errors: ErrorCollector) -> None:
    for index, name in enumerate(report.roles):
        where = report.at(f"roles[{index}]")
        role = catalog.roles.get(name)
        if role is None:
            errors.add(where, f"report '{report.name}': unknown role '{name}'"
                       f"{did_you_mean(name, catalog.roles)}")
            continue
        _check_role_reads(catalog, entity, report, name, where, errors, "which the report "
                          "is for")


def _check_role_reads(catalog: Catalog, entity: EntityDef, report: ReportDef, name: str,
                      where: Location, errors: ErrorCollector, purpose: str,
                      at_role: bool = False) -> None:
    """That role ``name`` reads the report's entity and sees every field it reads
    (``at_role``: every problem is said at ``where``)."""
    role = catalog.roles[name]
    if role.admin:
        return
    for path, at in paths_of(report):
        try:
            steps, _ = walk(catalog, entity, path)
        except PathError:
            continue  # said above
        for step, field in steps:
            grant = role.grant(step.name)
            if grant is None or "read" not in grant.operations:
                errors.add(where if step is entity or at_role else at,
                           f"report '{report.name}': role '{name}' may not read "
                           f"'{step.name}', which the report reads ('{path}')")
                return
            if grant.fields.get(field) == "hidden":
                errors.add(where if at_role else at, f"report '{report.name}': field "
                           f"'{field}' of '{step.name}' is hidden from role '{name}', "
                           f"{purpose}")
                return


def _check_schedule(catalog: Catalog, entity: EntityDef, report: ReportDef,
                    errors: ErrorCollector) -> None:
    """The day it goes out on fits ``every``; the roles exist and may run the report
    (users are people of the database: the job says which it did not find); the
    parameters are the report's, with values their fields take."""
    schedule = report.schedule
    if schedule is None:
        return
    what = f"report '{report.name}': schedule"
    day = schedule.day
    if day is not None:
        if schedule.every == "day":
            errors.add(schedule.at_key("day"), f"{what}: a daily report goes out every day; "
                       "'day' is for every: week (a weekday) or month (a day)")
        elif schedule.every == "week" and day not in WEEKDAYS:
            errors.add(schedule.at_key("day"), f"{what}: day: '{day}' is not a weekday (one "
                       f"of {', '.join(WEEKDAYS)})")
        elif schedule.every == "month" and (isinstance(day, bool) or not isinstance(day, int)
                                            or not 1 <= day <= LAST_MONTH_DAY):
            errors.add(schedule.at_key("day"), f"{what}: day: '{day}' is not a day of the "
                       f"month from 1 to {LAST_MONTH_DAY} (every month has those)")
    for index, name in enumerate(schedule.roles):
        where = schedule.at_key(f"roles[{index}]")
        if name not in catalog.roles:
            errors.add(where, f"{what}: unknown role '{name}'{did_you_mean(name, catalog.roles)}")
        elif report.roles and name not in report.roles and not catalog.roles[name].admin:
            errors.add(where, f"{what}: role '{name}' may not run the report (it is for "
                       f"{', '.join(report.roles)})")
        else:
            _check_role_reads(catalog, entity, report, name, where, errors,
                              "which the schedule sends it to", at_role=True)
    for key, value in schedule.parameters:
        where = schedule.at_key(f"parameters[{key}]")
        parameter = report.parameter(key)
        if parameter is None:
            errors.add(where, f"{what}: unknown parameter '{key}'"
                       f"{did_you_mean(key, [p.name for p in report.parameters])}")
            continue
        try:
            _, kind = walk(catalog, entity, parameter.field)
        except PathError:
            continue  # said above
        problem = default_problem(catalog, kind, value)
        if problem:
            errors.add(where, f"{what}: parameter '{key}': {problem}")
