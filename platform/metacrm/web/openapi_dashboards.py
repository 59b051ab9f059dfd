"""Describe the dashboards API in the OpenAPI document: the dashboards a caller may
open, one dashboard's widgets, a widget's answer and the caller's pins
(web/dashboards_api.py)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from ..definitions import Catalog
from ..definitions.dashboards import MAX_COLUMNS, WIDGET_KINDS
from ..runtime.dashboard_pins import MAX_QUERY, MAX_TITLE, PIN_KINDS
from .openapi_parts import (
    ID_SCHEMA,
    OPTIONAL_TEXT,
    TEXT,
    WHEN,
    Schema,
    body,
    closed,
    items,
    obj,
    operation,
    param,
    path,
    ref,
)

SPAN: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_COLUMNS,
                "description": "How many of the grid's columns the widget spans."}


def dashboard_schemas() -> dict[str, Schema]:
    summary = dict(name=TEXT, label=TEXT, description=OPTIONAL_TEXT,
                   roles={"type": "array", "items": TEXT}, default={"type": "boolean"})
    return {
        "DashboardSummary": obj("name label roles default", **summary),
        "Dashboard": obj("name label columns widgets", **summary,
                         columns={"type": "integer"}, widgets={"type": "array", "items": obj(
                             "index kind target span", index={"type": "integer"},
                             kind={"enum": list(WIDGET_KINDS)}, target=TEXT,
                             title=OPTIONAL_TEXT, span=SPAN, measure=OPTIONAL_TEXT)}),
        "WidgetAnswer": {
            "type": "object", "required": ["kind"], "properties": {
                "kind": {"enum": list(WIDGET_KINDS)},
                "report": ref("ReportResult"),
                "value": {"description": "A number card's figure (decimal text for money)."},
                "previous": {"description": "The same over the period before."},
                "change": {"type": ["string", "null"], "description": "From the previous "
                           "period: relative (0.2500 is +25 %), in points for a ratio."},
                "items": {"type": "array", "description": "A list's records (as GET "
                          "/api/<entity>) or the inbox's tasks (as GET /api/approvals/inbox)."},
                "more": {"type": "boolean"}},
            "description": "`report`: the report's answer; `number`: value, previous, "
            "change, period, previous_period; `list`: entity, columns, items, filters; "
            "`approvals`: items."},
        "DashboardPin": obj("id kind target query span", id=ID_SCHEMA,
                            kind={"enum": list(PIN_KINDS)}, target=TEXT, query=TEXT,
                            title=OPTIONAL_TEXT, span=SPAN, created_at=WHEN),
        "DashboardPinCreate": closed(obj(
            "kind target", kind={"enum": list(PIN_KINDS)},
            target={"type": "string", "pattern": "^[a-z](?:[a-z0-9]|_(?!_))*$",
                    "maxLength": 60, "description": "The report's name or the entity's."},
            query={"type": "string", "maxLength": MAX_QUERY, "description": "The report's "
                   "parameters or the list's filters and sort, as a query string."},
            title={"type": ["string", "null"], "maxLength": MAX_TITLE}, span=SPAN)),
    }


def dashboard_paths(catalog: Catalog, tags: list[dict[str, str]], taken: set[str]
                    ) -> dict[str, Any]:
    """The dashboards API; adds its tag."""
    tag = "dashboards"
    while tag in {t["name"] for t in tags}:
        tag += " (api)"
    tags.append({"name": tag, "description": "Dashboards defined in dashboards/ and the "
                 "caller's pins (docs/dashboards.md)."})
    names = sorted(catalog.dashboards)
    name = param("name", "path", {"type": "string", **({"examples": names[:3]}
                                                       if names else {})},
                 "The dashboard's name.", required=True)
    index = param("index", "path", {"type": "integer", "minimum": 0},
                  "The widget's index in the dashboard.", required=True)
    pin_id = param("id", "path", ID_SCHEMA, "The pin's id.", required=True)
    return deepcopy({
        "/api/dashboards": path(get=operation(
            "list_dashboards", tag, "The dashboards the caller may open", "200",
            {**items(ref("DashboardSummary")), "properties": {
                **items(ref("DashboardSummary"))["properties"], "default": OPTIONAL_TEXT}},
            "401", taken, description="Those for one of the caller's roles or for no role; "
            "`default` is the caller's start.")),
        "/api/dashboards/{name}": path(name, get=operation(
            "get_dashboard", tag, "A dashboard and the widgets the caller may see", "200",
            ref("Dashboard"), "401 404", taken)),
        "/api/dashboards/{name}/widgets/{index}": path(name, index, get=operation(
            "get_dashboard_widget", tag, "One widget's answer", "200", ref("WidgetAnswer"),
            "400 401 403 404", taken, description="Through the same calls as the reports, "
            "list and inbox APIs: within the caller's scope, without hidden fields.")),
        "/api/dashboards/pins": path(
            get=operation("list_dashboard_pins", tag, "The caller's pins", "200",
                          items(ref("DashboardPin")), "401", taken),
            post=operation("pin_to_dashboard", tag, "Pin a report or a list to the "
                           "caller's dashboard", "201", ref("DashboardPin"), "401 403 409 422",
                           taken, requestBody=body(ref("DashboardPinCreate")),
                           description="Checked as the caller's run of it. `409`: already "
                           "pinned, or the dashboard is full.")),
        "/api/dashboards/pins/{id}": path(pin_id, delete=operation(
            "unpin_from_dashboard", tag, "Unpin", "204", None, "401 403 404", taken,
            description="The caller's own pins only; others' do not exist.")),
        "/api/dashboards/pins/{id}/widget": path(pin_id, get=operation(
            "get_pinned_widget", tag, "A pin's answer", "200", ref("WidgetAnswer"),
            "400 401 403 404", taken)),
    })
