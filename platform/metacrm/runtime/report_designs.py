"""Reports made in the report builder: each save is a ``report`` customization (a new
version of the report of that name, seen by every process), listed with its versions
and reverted by saving an earlier version again; a draft runs as a preview without
being stored. A shipped (YAML) report is version 0 of its name.

Who may build a report of an entity is who may design its layouts (the ``design``
operation, or an administrator): the report then runs for each viewer within their
own scope, like any other.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from ..base.context import Context
from ..base.problems import Forbidden, Invalid
from ..compile.compiled import Compiled
from ..definitions import ReportDef
from ..errors import DefinitionError
from ..i18n import message
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from ..platform import Platform, read_customizations
from .access import Viewer
from .customization_versions import newest_document, version_document, versions_of
from .customize import add_customization, definition_errors, next_customization_id
from .form_designs import may_design
from .reports import run_report

KIND = "report"


def report_document(report: ReportDef) -> dict[str, Any]:
    """``report`` as a ``reports/`` document (the keys its YAML file gave)."""
    return dict(json.loads(report.source))


def buildable_entities(compiled: Compiled, ctx: Context) -> list[str]:
    """The entities the caller may build reports of, in definition order."""
    return [name for name in compiled.models if may_design(compiled, ctx, name)]


def report_versions(conn: Connection, name: str) -> list[dict[str, Any]]:
    return versions_of(conn, KIND, name)


def current_report_document(platform: Platform, conn: Connection, name: str
                            ) -> dict[str, Any] | None:
    """The report in force as a document: its newest saved version, else the bundles'."""
    saved = newest_document(conn, KIND, name)
    if saved is not None:
        return saved
    defined = platform.compiled.catalog.reports.get(name)
    if defined is None or defined.bundle == CUSTOMIZATIONS_BUNDLE:
        return None
    return report_document(defined)


def _checked(compiled: Compiled, ctx: Context, document: Any) -> str:
    """The entity of ``document`` once the caller may build reports of it (and of the
    report it replaces, when it names an existing one)."""
    if not isinstance(document, dict) or not isinstance(document.get(KIND), str):
        raise Invalid({KIND: ["A report needs its name in 'report'."]})
    entity = document.get("entity")
    if not isinstance(entity, str) or entity not in compiled.models:
        raise Invalid({"entity": [f"A report reads one of the entities: "
                                  f"{', '.join(compiled.models)}."]})
    existing = compiled.catalog.reports.get(document[KIND])
    for name in {entity, *([existing.entity] if existing else [])}:
        if not may_design(compiled, ctx, name):
            raise Forbidden(message("design_only", ctx.locale, entity=name))
    return entity


def save_report(platform: Platform, ctx: Context, document: Any) -> tuple[int, Compiled]:
    """Validate and store ``document`` as the newest version of its report."""
    _checked(platform.compiled, ctx, document)
    return add_customization(platform, ctx, document)


def revert_report(platform: Platform, ctx: Context, name: str, version: int
                  ) -> tuple[int, Compiled]:
    """A new version of report ``name`` equal to ``version`` (0: the bundles' one)."""
    def shipped() -> dict[str, Any] | None:
        defined = platform.load([]).reports.get(name)
        return report_document(defined) if defined is not None else None

    return save_report(platform, ctx, version_document(platform, KIND, name, version,
                                                       shipped, "report"))


def draft_report(platform: Platform, ctx: Context, document: Any) -> ReportDef:
    """``document`` checked as a save would check it, without storing it."""
    _checked(platform.compiled, ctx, document)
    with platform.reading() as conn:
        _, stored = read_customizations(conn)
        draft_id = next_customization_id(conn, stored)
    try:
        catalog = platform.load([*stored, (draft_id, document)])
    except DefinitionError as exc:
        raise definition_errors(exc, draft_id) from None
    return catalog.reports[document[KIND]]


def preview_report(platform: Platform, conn: Connection, viewer: Viewer, ctx: Context,
                   document: Any, args: dict[str, list[str]], now: datetime
                   ) -> dict[str, Any]:
    """What the report ``document`` would answer ``viewer`` now, in their scope."""
    return run_report(conn, viewer, draft_report(platform, ctx, document), args,
                      ctx.locale, now)
