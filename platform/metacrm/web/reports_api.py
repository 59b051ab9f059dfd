"""REST endpoints for reports: ``GET /api/reports`` lists those the caller may run,
``GET /api/reports/<name>`` runs one with its parameters (docs/reports.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from ..base.context import Context
from ..base.problems import NotFound
from ..compile.compiled import Compiled
from ..definitions import ReportDef
from ..runtime.access import Viewer
from ..runtime.report_parameters import parameter_kind
from ..runtime.reports import run_report, runnable
from .auth import current_context
from .connection import request_reading
from .requests import platform, refuse_nul_values, with_fresh_schema

reports_api = Blueprint("metacrm_reports", __name__, url_prefix="/api")
reports_api.before_request(refuse_nul_values)


def report_summary(compiled: Compiled, report: ReportDef, lang: str) -> dict[str, Any]:
    """What a list of reports says of one."""
    return {"name": report.name, "label": report.label.get(lang),
            "description": report.description.get(lang) or None, "entity": report.entity,
            "presentation": report.presentation,
            "parameters": [{"name": p.name, "label": p.label.get(lang), "field": p.field,
                            "kind": parameter_kind(compiled.catalog, report, p),
                            "default": p.default} for p in report.parameters]}


def runnable_reports(compiled: Compiled, viewer: Viewer) -> list[ReportDef]:
    return [r for r in sorted(compiled.catalog.reports.values(), key=lambda r: r.name)
            if runnable(viewer, r)]


def find_report(compiled: Compiled, name: str, ctx: Context) -> ReportDef:
    report = compiled.catalog.reports.get(name)
    if report is None:
        raise NotFound({"_request": [f"no report '{name}'"]}, names_unknown=True)
    return report


@reports_api.get("/reports")
def reports() -> Any:
    ctx = current_context()
    compiled = platform().compiled
    viewer = Viewer(compiled, ctx.principal)
    return jsonify({"items": [report_summary(compiled, r, ctx.locale)
                              for r in runnable_reports(compiled, viewer)]})


@reports_api.get("/reports/<name>")
def report(name: str) -> Any:
    ctx = current_context()
    args = request.args.to_dict(flat=False)

    def run(compiled: Compiled) -> Any:
        found = find_report(compiled, name, ctx)
        with request_reading() as conn:
            viewer = Viewer(compiled, ctx.principal, conn)
            return run_report(conn, viewer, found, args, ctx.locale, ctx.now)

    return jsonify(with_fresh_schema(run))
