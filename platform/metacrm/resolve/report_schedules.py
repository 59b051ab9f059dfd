"""Check a report's ``schedule:`` (jobs/report_mail.py sends it): the day it goes out
on, the roles it goes to (each must be able to run the report) and its parameters."""

from __future__ import annotations

from ..definitions import Catalog, EntityDef
from ..definitions.reports import LAST_MONTH_DAY, WEEKDAYS, ReportDef
from ..errors import ErrorCollector, did_you_mean
from .report_paths import PathError, default_problem, walk
from .report_reads import check_role_reads


def check_schedule(catalog: Catalog, entity: EntityDef, report: ReportDef,
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
            check_role_reads(catalog, entity, report, name, where, errors,
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
