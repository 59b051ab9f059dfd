"""The dashboard page: the caller's dashboard (their role's, or one they pick) and their
pins as a grid of widgets, each loaded by a fragment request of its own (a slow report
never holds the page or the other widgets back) through the same engine calls as the
API (runtime/dashboards.py). The start page shows the same grid above its tiles."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import render_template, url_for

from ..base.context import Context
from ..base.problems import BadQuery, Forbidden, NotFound
from ..compile.compiled import Compiled
from ..definitions import DashboardDef, WidgetDef
from ..definitions.reports import CHARTS
from ..runtime.dashboard_pins import find_pin, list_pins, pin_widget
from ..runtime.dashboards import (
    default_dashboard,
    find_dashboard,
    visible_dashboards,
    widget_answer,
    widget_available,
)
from ..runtime.operation import Operation
from ..runtime.report_answer import named_rows
from ..web.requests import platform
from .blueprint import pages
from .display import formatter_for
from .list_rows import cell_class
from .report_pages import figure
from .shell import build_shell, page_context, speak_users_language

# A report widget shows at most this many rows (the report page shows them all).
WIDGET_ROWS = 8
WIDGET_MEASURES = 3


@dataclass(frozen=True)
class Tile:
    """One widget as the page places it: its title, width and where its body loads."""

    title: str
    kind: str
    span: int
    url: str
    pin_id: int | None = None


@dataclass(frozen=True)
class Board:
    dashboard: DashboardDef | None
    tiles: tuple[Tile, ...]
    others: tuple[DashboardDef, ...]

    @property
    def shows_approvals(self) -> bool:
        return any(t.kind == "approvals" for t in self.tiles)


def build_board(op: Operation, dashboard: DashboardDef | None) -> Board:
    """The grid of ``dashboard`` (the caller's start if None) and the caller's pins."""
    catalog, lang = op.compiled.catalog, op.locale
    tiles = [Tile(_title(op.compiled, w, lang), w.kind, w.span,
                  url_for("metacrm_pages.dashboard_widget", name=dashboard.name, index=i,
                          lang=lang))
             for i, w in enumerate(dashboard.widgets) if widget_available(op, w)] \
        if dashboard else []
    for pin in list_pins(op):
        widget = pin_widget(pin)
        if widget_available(op, widget):
            tiles.append(Tile(_title(op.compiled, widget, lang), widget.kind, widget.span,
                              url_for("metacrm_pages.pinned_widget", pin_id=pin["id"],
                                      lang=lang), pin["id"]))
    others = tuple(d for d in visible_dashboards(catalog, op.ctx.principal)
                   if d is not dashboard)
    return Board(dashboard, tuple(tiles), others)


def start_board(conn: sa.Connection, compiled: Compiled, ctx: Context) -> Board | None:
    """The start page's grid: the caller's dashboard and pins, None with neither."""
    op = Operation(conn, compiled, ctx)
    board = build_board(op, default_dashboard(compiled.catalog, ctx.principal))
    return board if board.tiles else None


def _title(compiled: Compiled, widget: WidgetDef, lang: str) -> str:
    if widget.title:
        return widget.title.get(lang)
    if widget.kind in ("report", "number"):
        report = compiled.catalog.reports.get(widget.target)
        return report.label.get(lang) if report else widget.target
    if widget.kind == "list":
        model = compiled.models.get(widget.target)
        return model.entity.plural.get(lang) if model else widget.target
    return ""


@pages.get("/dashboard")
def dashboard_page() -> Any:
    return _page(None)


@pages.get("/dashboard/<name>")
def named_dashboard_page(name: str) -> Any:
    return _page(name)


def _page(name: str | None) -> Any:
    ctx, csrf = page_context()
    compiled = platform().compiled
    with platform().reading() as conn:
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        chosen = find_dashboard(compiled.catalog, ctx.principal, name) if name \
            else default_dashboard(compiled.catalog, ctx.principal)
        board = build_board(Operation(conn, compiled, ctx), chosen)
    label = chosen.label.get(shell.language) if chosen else None
    return render_template("ui/dashboard.html", shell=shell.at("dashboard"),
                           language=shell.language, board=board, label=label)


@pages.get("/dashboard/<name>/widgets/<int(max=1000):index>")
def dashboard_widget(name: str, index: int) -> Any:
    def widget(op: Operation) -> WidgetDef:
        dashboard = find_dashboard(op.compiled.catalog, op.ctx.principal, name)
        if index >= len(dashboard.widgets):
            raise NotFound({"_request": [f"no widget {index} of '{name}'"]})
        return dashboard.widgets[index]
    return _fragment(widget, f"chart-{name}-{index}")


@pages.get("/dashboard/pins/<int(max=9223372036854775807):pin_id>")
def pinned_widget(pin_id: int) -> Any:
    return _fragment(lambda op: pin_widget(find_pin(op, pin_id)), f"chart-pin-{pin_id}")


def _fragment(find: Any, chart_id: str) -> Any:
    """One widget's body: its answer rendered, or why it cannot be shown."""
    ctx, _ = page_context()
    compiled = platform().compiled
    with platform().reading() as conn:
        ctx = speak_users_language(conn, compiled, ctx)
        op = Operation(conn, compiled, ctx)
        widget = find(op)
        try:
            answer = widget_answer(op, widget)
        except (BadQuery, Forbidden) as problem:
            messages = [t for texts in problem.listed(ctx.locale).values() for t in texts]
            return render_template("ui/_widget_refused.html", messages=messages)
        context = _shown(compiled, widget, answer, ctx.locale)
    return render_template(f"ui/_widget_{answer['kind']}.html", widget=widget,
                           answer=answer, language=ctx.locale, chart_id=chart_id, **context)


def _shown(compiled: Compiled, widget: WidgetDef, answer: dict[str, Any], lang: str
           ) -> dict[str, Any]:
    """What a widget's template needs besides its answer: links and cell texts."""
    if answer["kind"] == "report":
        report = answer["report"]
        columns = report["columns"][:WIDGET_MEASURES]
        # The report page's chart (runtime/report_charts.py, static/report-chart.js) above
        # the table, which then folds away; a table or pivot report shows its table.
        return {"report": report, "columns": columns, "rows": named_rows(report, WIDGET_ROWS),
                "more_rows": max(0, len(report["rows"]) - WIDGET_ROWS), "show": _show(report),
                "href": _report_href(widget), "charted": report["series"]["kind"] in CHARTS,
                "list_url": url_for("metacrm_pages.list_page", entity=report["entity"])}
    if answer["kind"] == "number":
        return {"figure": figure(answer["value"], answer["ratio"]),
                "previous": figure(answer["previous"], answer["ratio"]),
                "change": _change_text(answer["change"], answer["ratio"]),
                "direction": _direction(answer["change"]), "href": _report_href(widget)}
    if answer["kind"] == "list":
        model = compiled.models[widget.target]
        fields = [model.entity.fields[c["name"]] for c in answer["columns"]
                  if c["name"] in model.entity.fields]
        formatters = [formatter_for(compiled, f, lang) for f in fields]
        classes = [cell_class(compiled, f) for f in fields]
        rows = [{"id": item["id"], "cells": [(css, read(item.get(f.name))) for f, read, css
                                             in zip(fields, formatters, classes, strict=True)]}
                for item in answer["items"]]
        query = urlencode([*map(tuple, answer["filters"]),
                           *([("sort", ",".join(answer["sort"]))]
                                                 if answer["sort"] else [])])
        return {"rows": rows, "labels": [c["label"] for c in answer["columns"]],
                "href": url_for("metacrm_pages.list_page", entity=widget.target)
                + (f"?{query}" if query else "")}
    return {"href": url_for("metacrm_pages.approval_inbox")}


def _show(report: dict[str, Any]) -> Any:
    ratios = {c["name"] for c in report["columns"] if c["aggregate"] == "ratio"}
    return lambda value, measure: figure(value, measure in ratios)


def _report_href(widget: WidgetDef) -> str:
    base = url_for("metacrm_pages.report_page", name=widget.target)
    return base + (f"?{urlencode(widget.parameters)}" if widget.parameters else "")


def _change_text(change: str | None, ratio: bool) -> str | None:
    if change is None:
        return None
    value = Decimal(change) * 100
    sign = "+" if value > 0 else ""
    unit = " pt" if ratio else "%"
    return f"{sign}{value.quantize(Decimal('0.1'))}{unit}"


def _direction(change: str | None) -> str:
    if change is None or Decimal(change) == 0:
        return "flat"
    return "up" if Decimal(change) > 0 else "down"

