"""Whether a role may run a report: it reads the report's entity and sees every field
the report reads (for the roles a report is for and those a schedule sends it to)."""

from __future__ import annotations

from ..definitions import Catalog, EntityDef, Location
from ..definitions.reports import ReportDef
from ..errors import ErrorCollector
from .report_paths import PathError, paths_of, walk


def check_role_reads(catalog: Catalog, entity: EntityDef, report: ReportDef, name: str,
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

