"""REST endpoints for dashboards (runtime/dashboards.py): the dashboards a caller may
open and which is their start, one dashboard's widgets, each widget's answer, and the
caller's own pins (docs/dashboards.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from ..base.context import Context
from ..base.problems import NotFound
from ..compile.compiled import Compiled
from ..definitions import DashboardDef, WidgetDef
from ..runtime.dashboard_pins import add_pin, find_pin, list_pins, pin_widget, remove_pin
from ..runtime.dashboards import (
    default_dashboard,
    find_dashboard,
    visible_dashboards,
    widget_answer,
    widget_available,
)
from ..runtime.operation import Operation
from .auth import current_context
from .connection import request_reading, request_writing
from .requests import body_object, platform, refuse_nul_values, with_fresh_schema

dashboards_api = Blueprint("metacrm_dashboards", __name__, url_prefix="/api")
dashboards_api.before_request(refuse_nul_values)
PIN_ID = "<int(max=9223372036854775807):pin_id>"
INDEX = "<int(max=1000):index>"


def dashboard_summary(dashboard: DashboardDef, lang: str, default: bool) -> dict[str, Any]:
    return {"name": dashboard.name, "label": dashboard.label.get(lang),
            "description": dashboard.description.get(lang) or None,
            "roles": list(dashboard.roles), "default": default}


def widget_summary(widget: WidgetDef, index: int, lang: str) -> dict[str, Any]:
    """What a dashboard says of one widget (its answer is a request of its own)."""
    return {"index": index, "kind": widget.kind, "target": widget.target,
            "title": widget.title.get(lang) or None, "span": widget.span,
            "measure": widget.measure}


def dashboard_json(op: Operation, dashboard: DashboardDef) -> dict[str, Any]:
    """One dashboard with the widgets the caller may see (by their index in it)."""
    lang = op.locale
    return {**dashboard_summary(dashboard, lang, False), "columns": dashboard.columns,
            "widgets": [widget_summary(w, i, lang) for i, w in enumerate(dashboard.widgets)
                        if widget_available(op, w)]}


def _widget(dashboard: DashboardDef, index: int) -> WidgetDef:
    if index >= len(dashboard.widgets):
        raise NotFound({"_request": [f"dashboard '{dashboard.name}' has "
                                     f"{len(dashboard.widgets)} widgets"]})
    return dashboard.widgets[index]


def _reading(ctx: Context, action: Any) -> Any:
    def run(compiled: Compiled) -> Any:
        with request_reading() as conn:
            return action(Operation(conn, compiled, ctx))
    return with_fresh_schema(run)


@dashboards_api.get("/dashboards")
def dashboards() -> Any:
    ctx = current_context()
    catalog = platform().compiled.catalog
    start = default_dashboard(catalog, ctx.principal)
    return jsonify({"items": [dashboard_summary(d, ctx.locale, d is start)
                              for d in visible_dashboards(catalog, ctx.principal)],
                    "default": start.name if start else None})


@dashboards_api.get("/dashboards/<name>")
def dashboard(name: str) -> Any:
    ctx = current_context()
    return jsonify(_reading(ctx, lambda op: dashboard_json(
        op, find_dashboard(op.compiled.catalog, ctx.principal, name))))


@dashboards_api.get(f"/dashboards/<name>/widgets/{INDEX}")
def widget(name: str, index: int) -> Any:
    ctx = current_context()
    return jsonify(_reading(ctx, lambda op: widget_answer(op, _widget(
        find_dashboard(op.compiled.catalog, ctx.principal, name), index))))


@dashboards_api.get("/dashboards/pins")
def pins() -> Any:
    ctx = current_context()
    return jsonify({"items": _reading(ctx, list_pins)})


@dashboards_api.post("/dashboards/pins")
def pin() -> Any:
    ctx = current_context()
    body = body_object(ctx, ("kind", "target", "query", "title", "span"))
    with request_writing() as conn:
        made = add_pin(Operation(conn, platform().compiled, ctx), body)
    response = jsonify(made)
    response.status_code = 201
    return response


@dashboards_api.get(f"/dashboards/pins/{PIN_ID}/widget")
def pinned_widget(pin_id: int) -> Any:
    ctx = current_context()
    return jsonify(_reading(ctx, lambda op: widget_answer(op, pin_widget(find_pin(op, pin_id)))))


@dashboards_api.delete(f"/dashboards/pins/{PIN_ID}")
def unpin(pin_id: int) -> Any:
    ctx = current_context()
    with request_writing() as conn:
        remove_pin(Operation(conn, platform().compiled, ctx), pin_id)
    return Response(status=204)
