"""REST endpoints for reports: ``GET /api/reports`` lists those the caller may run,
``GET /api/reports/<name>`` runs one with its parameters, ``GET
/api/reports/<name>/export`` gives that answer as a CSV or XLSX file (docs/reports.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..base.context import Context
from ..base.problems import NotFound
from ..collector import collector_paused
from ..compile.compiled import Compiled
from ..definitions import ReportDef
from ..identity.security_events import export_event, record_event
from ..runtime.access import Viewer
from ..runtime.export import export_language
from ..runtime.report_export import FORMATS, report_csv, report_format, report_xlsx
from ..runtime.report_parameters import parameter_kind
from ..runtime.reports import run_report, runnable
from .auth import current_context
from .connection import request_reading
from .downloads import attachment, file_name
from .requests import platform, refuse_nul_values, with_fresh_schema
from .security_api import request_actor

reports_api = Blueprint("metacrm_reports", __name__, url_prefix="/api")
reports_api.before_request(refuse_nul_values)


def report_summary(compiled: Compiled, report: ReportDef, lang: str) -> dict[str, Any]:
    """What a list of reports says of one."""
    return {"name": report.name, "label": report.label.get(lang),
            "description": report.description.get(lang) or None, "entity": report.entity,
            "presentation": report.presentation,
            "chart": {"measures": [m.name for m in report.charted],
                      "target": str(report.chart.target.value) if report.chart.target
                      else None},
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
            # the people a team or line scope reaches, kept while the caller's credentials
            # version holds (runtime/people.py): no look-up statement per run
            viewer = Viewer(compiled, ctx.principal, conn, platform().people)
            return run_report(conn, viewer, found, args, ctx.locale, ctx.now)

    # The collector stays paused until the answer is written and freed, not only while
    # it is made (run_report): resumed with a pivot's tens of thousands of dicts still
    # alive, it walked them at once and moved them towards the oldest generation,
    # whose full collections then walked the whole process every few runs.
    with collector_paused():
        return jsonify(with_fresh_schema(run))


@reports_api.get("/reports/<name>/export")
def export_report(name: str) -> Any:
    """The report run as for ``GET /api/reports/<name>`` (same parameters, same scope),
    as a file named after its title and the day."""
    ctx = current_context()
    fmt = report_format(request.args.get("format"), ctx)
    lang = export_language(request.args.get("lang"), ctx)
    args = {k: v for k, v in request.args.to_dict(flat=False).items()
            if k not in ("format", "lang")}

    def run(compiled: Compiled) -> Any:
        found = find_report(compiled, name, ctx)
        with request_reading() as conn:
            viewer = Viewer(compiled, ctx.principal, conn, platform().people)
            return run_report(conn, viewer, found, args, lang, ctx.now)

    answer = with_fresh_schema(run)
    plat = platform()
    with plat.writing() as conn:
        record_event(conn, plat.compiled.metadata, "export", request_actor(ctx), ctx.now,
                     details={"report": name, **export_event(answer["entity"], fmt, args)})
    body = report_csv(answer, lang) if fmt == "csv" else report_xlsx(answer, lang, ctx.now)
    response = Response(body, content_type=FORMATS[fmt][0])
    response.headers["Content-Disposition"] = attachment(
        file_name(answer["label"], ctx.now.date(), FORMATS[fmt][1]),
        f"{name}-{ctx.now:%Y-%m-%d}.{FORMATS[fmt][1]}")
    response.headers["Cache-Control"] = "no-store"
    return response
