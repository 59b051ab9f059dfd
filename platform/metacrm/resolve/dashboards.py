"""Check dashboard definitions against the catalog: the roles they are for (each role
has at most one), the grid (no widget wider than it), and what each widget shows — a
known report with parameters it takes and, for a number card, one of its measures; a
known entity with filters of the list grammar, its fields as columns and sort keys."""

from __future__ import annotations

from collections.abc import Iterable

from ..definitions import BundleDefs, Catalog, DashboardDef, EntityDef, WidgetDef
from ..definitions.reports import DATE_TYPES, ME
from ..errors import ErrorCollector, did_you_mean
from .report_paths import PathError, default_problem, filter_problem, walk

# A period parameter may be set as <name>_from / <name>_to too (report_parameters.py).
RANGE_SUFFIXES = ("_from", "_to")
# Taken by the API: /api/dashboards/pins are the caller's own widgets.
RESERVED_NAMES = ("pins",)


def merge_dashboards(bundles: Iterable[BundleDefs], errors: ErrorCollector
                     ) -> dict[str, DashboardDef]:
    """Every bundle's dashboards by name; a name used twice is an error."""
    found: dict[str, DashboardDef] = {}
    for bundle in bundles:
        for dashboard in bundle.dashboards:
            if dashboard.name in found:
                errors.add(dashboard.location, f"dashboard '{dashboard.name}' is already "
                           f"defined at {found[dashboard.name].location}")
                continue
            found[dashboard.name] = dashboard
    return found


def check_dashboards(catalog: Catalog, errors: ErrorCollector) -> None:
    claimed: dict[str, DashboardDef] = {}
    # In load order: a clash is reported at the later definition (a template's, not
    # the bundle below it that its author cannot change).
    for dashboard in catalog.dashboards.values():
        what = f"dashboard '{dashboard.name}'"
        if dashboard.name in RESERVED_NAMES:
            errors.add(dashboard.location, f"{what}: the name is taken by the API "
                       "(/api/dashboards/pins)")
        for index, role in enumerate(dashboard.roles):
            where = dashboard.at(f"roles[{index}]")
            if role not in catalog.roles:
                errors.add(where, f"{what}: unknown role '{role}'"
                           f"{did_you_mean(role, catalog.roles)}")
            elif role in claimed:
                errors.add(where, f"{what}: role '{role}' already starts on dashboard "
                           f"'{claimed[role].name}' ({claimed[role].location}); a role has "
                           "one default dashboard")
            else:
                claimed[role] = dashboard
        for index, widget in enumerate(dashboard.widgets):
            _check_widget(catalog, dashboard, f"{what}: widget {index + 1}", widget, errors)


def _check_widget(catalog: Catalog, dashboard: DashboardDef, what: str, widget: WidgetDef,
                  errors: ErrorCollector) -> None:
    if widget.span > dashboard.columns:
        errors.add(widget.at("span"), f"{what}: span {widget.span} is wider than the "
                   f"dashboard's {dashboard.columns} columns")
    if widget.kind in ("report", "number"):
        _check_report_widget(catalog, dashboard, what, widget, errors)
    elif widget.kind == "list":
        _check_list_widget(catalog, what, widget, errors)


def _check_report_widget(catalog: Catalog, dashboard: DashboardDef, what: str,
                         widget: WidgetDef, errors: ErrorCollector) -> None:
    report = catalog.reports.get(widget.target)
    if report is None:
        errors.add(widget.at(widget.kind), f"{what}: unknown report '{widget.target}'"
                   f"{did_you_mean(widget.target, catalog.reports)}")
        return
    if report.roles:
        for role in dashboard.roles:
            if role not in report.roles:
                errors.add(widget.at(widget.kind), f"{what}: report '{report.name}' is for "
                           f"the roles {', '.join(report.roles)}, not '{role}', whom the "
                           "dashboard is for")
    if widget.kind == "number":
        if widget.measure is None:
            errors.add(widget.location, f"{what}: a number card names the report's "
                       f"'measure' (one of {', '.join(m.name for m in report.measures)})")
        elif report.measure(widget.measure) is None:
            errors.add(widget.at("measure"), f"{what}: report '{report.name}' has no measure "
                       f"'{widget.measure}'"
                       f"{did_you_mean(widget.measure, [m.name for m in report.measures])}")
    entity = catalog.entities.get(report.entity)
    if entity is None:
        return  # the report says so
    for key, value in widget.parameters:
        where = widget.at(f"parameters[{key}]")
        name = next((key[:-len(s)] for s in RANGE_SUFFIXES if key.endswith(s)), key)
        parameter = report.parameter(key) or report.parameter(name)
        if parameter is None:
            names = [p.name for p in report.parameters]
            errors.add(where, f"{what}: report '{report.name}' has no parameter '{key}'; it "
                       f"takes: {', '.join(names) or 'none'}")
            continue
        try:
            _, kind = walk(catalog, entity, parameter.field)
        except PathError:
            continue  # the report says so
        if key != parameter.name:
            if kind.name not in DATE_TYPES:
                errors.add(where, f"{what}: '{key}': only a period takes a range")
            continue
        problem = default_problem(catalog, kind, value)
        if problem:
            errors.add(where, f"{what}: parameter '{key}': {problem}")


def _check_list_widget(catalog: Catalog, what: str, widget: WidgetDef,
                       errors: ErrorCollector) -> None:
    entity = catalog.entities.get(widget.target)
    if entity is None:
        errors.add(widget.at("list"), f"{what}: unknown entity '{widget.target}'"
                   f"{did_you_mean(widget.target, catalog.entities)}")
        return
    for key, value in widget.filters:
        if value == ME and _is_user(catalog, entity, key.partition("__")[0]):
            continue  # the viewer: set when the list runs
        problem = filter_problem(catalog, entity, key, value)
        if problem:
            errors.add(widget.at(f"filters[{key}]"), f"{what}: filter {problem}")
    names = entity.field_types()
    for key, listed in (("columns", widget.columns), ("sort", widget.sort)):
        for index, name in enumerate(listed):
            bare = name.lstrip("-")
            if bare not in names and bare != "id":
                errors.add(widget.at(f"{key}[{index}]"), f"{what}: {key}: unknown field "
                           f"'{bare}' of '{entity.name}'{did_you_mean(bare, names)}")


def _is_user(catalog: Catalog, entity: EntityDef, path: str) -> bool:
    try:
        _, kind = walk(catalog, entity, path)
    except PathError:
        return False
    return kind.references == "user" and kind.item_type is None
