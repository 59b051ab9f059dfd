"""Report pages: the reports the viewer may run, and one report run with the parameters
of its small form, as a table with totals; each row opens the entity's list filtered
exactly as the row was counted (the API's answer, runtime/reports.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from ..base.problems import BadQuery, Invalid
from ..compile.compiled import Compiled
from ..definitions.reports import (
    CHARTS,
    CONVERSION,
    FROM_FIRST,
    PERIODS,
    RATIO,
    ParameterDef,
    ReportDef,
)
from ..resolve.report_paths import walk
from ..resolve.reports import TARGETED
from ..runtime.access import Viewer
from ..runtime.operation import Operation
from ..runtime.report_designs import buildable_entities
from ..runtime.report_drill import drill_query
from ..runtime.report_parameters import parameter_kind
from ..runtime.report_subscriptions import subscribe, unsubscribe
from ..runtime.reports import run_report
from ..runtime.user_directory import UserDirectory
from ..web.connection import request_writing
from ..web.reports_api import find_report, report_summary, runnable_reports
from ..web.requests import platform
from .blueprint import pages
from .report_subscription_view import subscription_body, subscription_view
from .shell import build_shell, page_context, speak_users_language

PERIOD_WORDS = {
    "this_month": lazy_gettext("This month"), "last_month": lazy_gettext("Last month"),
    "this_quarter": lazy_gettext("This quarter"), "last_quarter": lazy_gettext("Last quarter"),
    "this_year": lazy_gettext("This year"), "last_year": lazy_gettext("Last year"),
    "all": lazy_gettext("All time"),
}
assert set(PERIOD_WORDS) == set(PERIODS)


@pages.get("/reports")
def reports_page() -> Any:
    ctx, csrf = page_context()
    compiled = platform().compiled
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        viewer = Viewer(compiled, ctx.principal, conn)
        items = [report_summary(compiled, r, shell.language)
                 for r in runnable_reports(compiled, viewer)]
    return render_template("ui/reports.html", shell=shell, language=shell.language,
                           items=items, may_build=set(buildable_entities(compiled, ctx)))


@pages.get("/reports/<name>")
def report_page(name: str) -> Any:
    return render_report_page(name)


def render_report_page(name: str, subscription_errors: list[str] | None = None) -> Any:
    """The report run with the parameters of the address, and the caller's e-mail
    subscription to it (``subscription_errors``: what refused a change of it)."""
    ctx, csrf = page_context()
    compiled = platform().compiled
    report = find_report(compiled, name, ctx)
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "lang"}
    # an empty field of the form means "not set" (the default applies)
    args = {k: v for k, v in args.items() if any(v)}
    errors: dict[str, list[str]] = {}
    answer = None
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        viewer = Viewer(compiled, ctx.principal, conn, platform().people)
        try:
            answer = run_report(conn, viewer, report, args, shell.language, ctx.now)
        except BadQuery as problem:
            errors = problem.errors
        people = UserDirectory(conn, compiled.tables.users)
        titles = {p.name: _person(people, request.args.get(p.name, ""))
                  for p in report.parameters}
        subscription = subscription_view(Operation(conn, compiled, ctx), report,
                                         shell.language)
    parameters = [{"name": p.name, "label": p.label.get(shell.language),
                   "kind": _control(compiled, report, p),
                   "value": request.args.get(p.name, ""),
                   "from": request.args.get(p.name + "_from", ""),
                   "to": request.args.get(p.name + "_to", ""), "default": p.default,
                   "title": titles[p.name]}
                  for p in report.parameters]
    ratios = {m.name for m in report.measures if m.aggregate == RATIO} | {
        CONVERSION, FROM_FIRST}
    target = report.chart.target
    return render_template(
        "ui/report.html", shell=shell, language=shell.language, report=report,
        label=report.label.get(shell.language), answer=answer, errors=errors,
        parameters=parameters, periods=PERIOD_WORDS, ratios=ratios,
        exports=_export_urls(name, args, shell.language),
        show=lambda value, measure: figure(value, measure in ratios),
        pivot=pivot_grid(report, answer) if answer and report.presentation == "pivot"
        else None, charted_kinds=CHARTS,
        target_control=(figure(target.value) if target else "—")
        if report.presentation in TARGETED and report.presentation != "number" else None,
        subscription=subscription, subscription_errors=subscription_errors or [],
        query=urlencode([(k, v) for k, values in args.items() for v in values])
    ), 422 if subscription_errors else 200


@pages.post("/reports/<name>/subscription")
def report_subscription(name: str) -> Any:
    """Subscribe to the report by e-mail with the page's parameters (or change it), or
    unsubscribe; back to the report page, or the page with what refused it."""
    ctx, _ = page_context()
    compiled = platform().compiled
    op_form = request.form
    try:
        with request_writing() as conn:
            op = Operation(conn, compiled, speak_users_language(conn, compiled, ctx))
            if op_form.get("action") == "unsubscribe":
                unsubscribe(op, name)
            else:
                subscribe(op, name, subscription_body(op_form))
    except Invalid as problem:
        return render_report_page(name, [text for texts in problem.errors.values()
                                         for text in texts])
    query = op_form.get("query", "")
    return redirect(url_for("metacrm_pages.report_page", name=name) + (
        f"?{query}" if query else ""), code=303)


def pivot_grid(report: ReportDef, answer: dict[str, Any]) -> dict[str, Any]:
    """A two-dimension answer as a grid of its first charted measure: row values down,
    column values across (the columns' totals' order, else the order the rows first
    name them), each cell and total with its drill-down query (composed from the
    answer's parts, runtime/report_drill.py)."""
    measure = report.charted[0].name
    names = [c["name"] for c in answer["columns"]]
    at = 2 + names.index(measure)
    lines, columns = (d["values"] for d in answer["dimensions"])
    cells: dict[int, dict[int, dict[str, Any]]] = {}  # by row value, by column value
    seen: dict[int, None] = {}  # the column values, in the order the rows name them
    for row in answer["rows"]:
        seen.setdefault(row[1], None)
        cells.setdefault(row[0], {})[row[1]] = {
            "value": row[at], "link": drill_query(answer, row, measure)}
    totals = answer.get("totals") or {}

    def total(axis: int, entry: list[Any]) -> dict[str, Any]:
        where: list[int | None] = [None, None]
        where[axis] = entry[0]
        return {"value": entry[at - 1], "link": drill_query(answer, where, measure)}

    by_line = {t[0]: total(0, t) for t in totals.get("rows", ())}
    by_column = {t[0]: total(1, t) for t in totals.get("columns", ())}
    order = list(by_column) or list(seen)
    return {
        "measure": measure,
        "measure_label": answer["columns"][names.index(measure)]["label"],
        "columns": [columns[index] for index in order],
        "rows": [{"label": lines[line]["label"], "cells": [found.get(i) for i in order],
                  "total": by_line.get(line)} for line, found in cells.items()],
        "row_totals": bool(by_line),
        "column_totals": [by_column.get(i) for i in order] if by_column else None,
    }


def _export_urls(name: str, args: dict[str, list[str]], language: str) -> dict[str, str]:
    """The report as a file (CSV, XLSX), with the parameters the page ran it with, in
    the page's language."""
    pairs = [(k, v) for k, values in args.items() if k != "format" for v in values]
    base = url_for("metacrm_reports.export_report", name=name) + "?"
    return {fmt: base + urlencode([*pairs, ("format", fmt), ("lang", language)])
            for fmt in ("csv", "xlsx")}


def figure(value: Any, ratio: bool = False) -> str:
    """A measure's value as a cell shows it (a ratio as a percentage)."""
    if value is None:
        return "—"
    if ratio:
        percent = (Decimal(value) * 100).quantize(Decimal("0.1"))
        return f"{percent}%"
    try:
        return f"{Decimal(str(value)):,}"  # grouped digits, every decimal kept
    except ArithmeticError:
        return str(value)


def _person(people: UserDirectory, value: str) -> str:
    """What a user parameter's picker shows: the user's name (or "me", or what was
    typed, which the report refuses by its name)."""
    if value.isascii() and value.isdigit() and len(value) < 19:
        return people.name(int(value)) or value
    return value


def _control(compiled: Compiled, report: ReportDef, parameter: ParameterDef) -> str:
    """How the form asks for a parameter: a period, a person (a picker), or text."""
    kind = parameter_kind(compiled.catalog, report, parameter)
    if kind == "value":
        _, field_type = walk(compiled.catalog, compiled.catalog.entities[report.entity],
                             parameter.field)
        if field_type.references == "user":
            return "user"
    return kind
