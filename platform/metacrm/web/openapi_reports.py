"""Describe the reports API in the OpenAPI document: the list of reports a caller may
run and one report's answer (web/reports_api.py, runtime/reports.py)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from ..definitions import LANGUAGES, Catalog
from ..definitions.reports import (
    AGGREGATES,
    BUCKETS,
    LAST_MONTH_DAY,
    PRESENTATIONS,
    RATIO,
    WEEKDAYS,
)
from ..runtime.spreadsheet import XLSX_TYPE
from .openapi_parts import (
    OPTIONAL_TEXT,
    TEXT,
    Schema,
    closed,
    items,
    obj,
    operation,
    param,
    path,
    ref,
)

VALUE: Schema = {"type": ["string", "integer", "boolean", "null"],
                 "description": "Money and decimals as exact decimal text; days and moments "
                 "in ISO 8601; ratios as decimal text (0.2500); null when there is none."}
PAIRS: Schema = {"type": "array", "items": {"type": "array", "prefixItems": [TEXT, TEXT],
                                            "minItems": 2, "maxItems": 2},
                 "description": "Filters of the list grammar (`[key, value]`) for GET "
                 "/api/<entity>."}
DRILL = ("A figure's drill-down, the query string of GET /api/<entity> (or the list page "
         "/<entity>) that lists the records it counts, is these pairs in order: the "
         "answer's `filters`, then the `filters` of each dimension value its row or "
         "total points at (`dimensions[i].values[position]`; none for the grand total), "
         "then its measure's `columns[].filters`.")
ROW = ("A row: one position per dimension, in `dimensions` order, into that dimension's "
       "`values`, then one figure per column, in `columns` order (`[3, 0, 12, "
       "\"125000.00\"]`: the 4th row value, the 1st column value, its figures). A "
       "funnel's row: its step's position, then its figures.")
TOTAL = ("A total of one value of this axis: its position in the dimension's `values`, "
         "then one figure per column, in `columns` order.")


def _pairs(description: str) -> Schema:
    return {**PAIRS, "description": description}


def chart_schema() -> Schema:
    """What a chart draws (runtime/report_charts.py)."""
    return obj(
        "kind categories category_filters series percent target filters",
        kind={"enum": list(PRESENTATIONS)},
        categories={"type": "array", "description": "The rows' labels, in order (a funnel: "
                    "its steps; a number card: the report's label)."},
        filters=_pairs("The run's filters (the answer's `filters`). A point's drill-down "
                       "is these, then its category's `category_filters`, then its "
                       "series' `filters`; none where the point has no figure."),
        category_filters={"type": "array", "items": PAIRS,
                          "description": "Per category, in order: its value's filters."},
        measure={**TEXT, "description": "With columns: the measure each series draws."},
        percent={"type": "array", "items": {"type": "boolean"},
                 "description": "Per charted measure: a ratio (shown as a percentage)."},
        series={"type": "array", "items": obj(
            "name measure data filters", name=OPTIONAL_TEXT, measure=TEXT,
            data={"type": "array", "items": VALUE},
            filters=_pairs("The measure's own filters; with columns, and the column "
                           "value's."),
            previous={**VALUE, "description": "A number card's figure for the period "
                      "before."},
            change={**VALUE, "description": "A number card's relative change against the "
                    "period before (0.2500: a quarter more); null when there is none."})},
        target={"type": ["object", "null"], "required": ["value", "measure"], "properties": {
            "value": TEXT, "measure": TEXT, "label": OPTIONAL_TEXT},
            "description": "A line at the target (`chart.target`, or `?target=`)."},
        previous={"type": ["object", "null"], "properties": {
            "from": {"type": ["string", "null"], "format": "date"},
            "to": {"type": ["string", "null"], "format": "date"}}})


def report_schemas() -> dict[str, Schema]:
    key = obj("value label filters", value=VALUE, label=OPTIONAL_TEXT,
              filters=_pairs("The filters that pick this value's records (a period as "
                             "its range, no value as `__isnull=true`)."))
    position = {"type": "integer", "minimum": 0}
    row = {"type": "array", "items": {"anyOf": [position, VALUE]}, "description": ROW}
    total = {"type": "array", "prefixItems": [position], "items": VALUE,
             "description": TOTAL}
    values = {"type": "object", "additionalProperties": VALUE,
              "description": "The measures' values by measure name."}
    parameter = obj("name label field value default from to", name=TEXT, label=TEXT,
                    field=TEXT, value=OPTIONAL_TEXT, default=OPTIONAL_TEXT,
                    **{"from": {"type": ["string", "null"], "format": "date"},
                       "to": {"type": ["string", "null"], "format": "date"}})
    return {
        "ReportSummary": obj(
            "name label entity presentation parameters", name=TEXT, label=TEXT,
            description=OPTIONAL_TEXT, entity=TEXT, presentation={"enum": list(PRESENTATIONS)},
            chart=obj("measures target", measures={"type": "array", "items": TEXT,
                                                   "description": "The measures a chart "
                                                   "draws."},
                      target={"type": ["string", "null"], "description": "The target "
                              "line's value (decimal text), if the report has one."}),
            parameters={"type": "array", "items": obj(
                "name label field kind default", name=TEXT, label=TEXT, field=TEXT,
                kind={"enum": ["period", "value"]}, default=OPTIONAL_TEXT)}),
        "ReportResult": obj(
            "report label entity presentation parameters dimensions columns rows totals "
            "series filters", report=TEXT, label=TEXT, description=OPTIONAL_TEXT,
            entity=TEXT, presentation={"enum": list(PRESENTATIONS)},
            parameters={"type": "array", "items": parameter},
            dimensions={"type": "array", "maxItems": 2, "items": obj(
                "axis field bucket label values", axis={"enum": ["rows", "columns"]},
                field=OPTIONAL_TEXT,
                bucket={"enum": [*BUCKETS, None]}, label=TEXT,
                values={"type": "array", "items": key, "description": "Each value the "
                        "rows and totals name, once, in the order the rows first name "
                        "them (a funnel: its steps); rows and totals give its position."})},
            columns={"type": "array", "items": obj(
                "name label aggregate field filters", name=TEXT, label=TEXT,
                aggregate={"enum": [*AGGREGATES, RATIO]}, field=OPTIONAL_TEXT,
                filters=_pairs("The measure's own filters (a conditional count's; a "
                               "ratio's denominator's), added to its figures' drill-down."))},
            rows={"type": "array", "items": row},
            totals={"type": ["object", "null"], "required": ["all"], "properties": {
                "all": values,
                "rows": {"type": "array", "items": total},
                "columns": {"type": "array", "items": total}}},
            series=chart_schema(),
            previous={"type": ["object", "null"], "properties": {
                "values": values, "filters": PAIRS,
                "from": {"type": ["string", "null"], "format": "date"},
                "to": {"type": ["string", "null"], "format": "date"}},
                "description": "A number card's figures over the period before its "
                "period (as long: whole months, else as many days)."},
            filters=_pairs("The run's filters: the report's and its parameters'. " + DRILL)),
    }


def report_paths(catalog: Catalog, tags: list[dict[str, str]], taken: set[str]
                 ) -> dict[str, Any]:
    """The reports API; adds its tag."""
    tag = "reports"
    while tag in {t["name"] for t in tags}:
        tag += " (api)"
    tags.append({"name": tag, "description": "Reports defined in reports/ "
                 "(docs/reports.md)."})
    names = sorted(catalog.reports)
    name = param("name", "path", {"type": "string", **({"examples": names[:3]}
                                                       if names else {})},
                 "The report's name.", required=True)
    settings = param("parameters", "query", {"type": "object", "additionalProperties": {
        "type": "string"}}, "The report's parameters (see GET /api/reports): a period "
        "(`this_month`, `last_month`, `this_quarter`, `last_quarter`, `this_year`, "
        "`last_year`, `all`, or `<name>_from` / `<name>_to` days), a value (`me` for the "
        "caller); `target`: a number, the target line of a bar, line or area chart or a "
        "number card. A bad or unknown one is `400` naming it.", style="form", explode=True)
    return deepcopy({
        "/api/reports": path(get=operation(
            "list_reports", tag, "The reports the caller may run", "200",
            items(ref("ReportSummary")), "401", taken,
            description="Those on entities the caller may read, reading no field hidden "
            "from them, and for one of their roles if the report names roles.")),
        "/api/reports/{name}": path(name, get=operation(
            "run_report", tag, "Run a report", "200", ref("ReportResult"),
            "400 401 403 404", taken, parameters=[settings],
            description="Grouped and summed by the database, over the records the caller "
            "may read. `403`: the report reads a field hidden from the caller.")),
        "/api/reports/{name}/export": path(name, get=operation(
            "export_report", tag, "A report's answer as a CSV or XLSX file", "200", None,
            "400 401 403 404", taken, ("Content-Disposition",), parameters=[
                param("format", "query", {"type": "string", "enum": ["csv", "xlsx"],
                                          "default": "csv"},
                      "`csv` (UTF-8 with a byte order mark) or `xlsx` (an Excel workbook)."),
                param("lang", "query", {"type": "string", "enum": list(LANGUAGES)},
                      "The language of the file's labels (default: Accept-Language's)."),
                settings],
            media={"text/csv": {"schema": {"type": "string", "description":
                                           "A row of headings (the dimensions' and measures' "
                                           "labels), a row per row of the report, then the "
                                           "total; numbers as exact decimal text, shares as "
                                           "decimals (0.2500)."}},
                   XLSX_TYPE: {"schema": {"type": "string", "format": "binary",
                                          "description": "The report's title, its parameters "
                                          "and when it ran, then the same table with typed "
                                          "cells (money exact, shares as percentages, days "
                                          "as dates)."}}},
            description="Runs the report as `GET /api/reports/{name}` does (same parameters, "
            "same scope) and writes its table. The file is named after the report's title "
            "in the caller's language and the day (`filename*`, RFC 5987).")),
        **_subscription_paths(tag, name, taken),
    })


_SUBSCRIPTION = obj(
    "id report every day at query due_at last_sent_at created_at", id={"type": "integer"},
    report=TEXT, every={"type": "string", "enum": ["day", "week", "month"]},
    day={"type": ["string", "integer", "null"], "description": "A weekday (week) or a day "
         "of the month, 1 to 28 (month)."},
    at={"type": "string", "description": "HH:MM in the report's time zone."},
    query={"type": "string", "description": "The report's parameters, as a query string."},
    due_at={"type": "string", "format": "date-time"},
    last_sent_at={"type": ["string", "null"], "format": "date-time"},
    created_at={"type": "string", "format": "date-time"})


def _subscription_paths(tag: str, name: Schema, taken: set[str]) -> dict[str, Any]:
    """A person's own e-mail subscriptions to reports (web/report_subscriptions_api.py)."""
    wanted = closed(obj(
        "every", every=_SUBSCRIPTION["properties"]["every"],
        day={"anyOf": [{"type": "string", "enum": list(WEEKDAYS)},
                       {"type": "integer", "minimum": 1, "maximum": LAST_MONTH_DAY},
                       {"type": "null"}],
             "description": "every: week: a weekday (default: the report's schedule's, else "
             "monday); every: month: a day from 1 to 28 (default 1); every: day: none."},
        at={"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
            "description": "HH:MM in the report's time zone (default 08:00)."},
        query={"type": "string", "maxLength": 2000, "description": "The report's parameters "
               "as in `GET /api/reports/{name}` (e.g. `period=this_month`)."}))
    return {
        "/api/report-subscriptions": path(get=operation(
            "list_report_subscriptions", tag, "The caller's report subscriptions", "200",
            items(_SUBSCRIPTION), "401", taken)),
        "/api/reports/{name}/subscription": path(
            name,
            get=operation("get_report_subscription", tag, "The caller's subscription to a "
                          "report", "200", _SUBSCRIPTION, "401 404", taken),
            put=operation(
                "subscribe_report", tag, "Subscribe to a report by e-mail (or change it)",
                "200", _SUBSCRIPTION, "401 403 404 422", taken,
                requestBody={"required": True, "content": {"application/json": {
                    "schema": wanted}}},
                description="Every day, week or month at a time of the report's time zone "
                "(day and time default to the report's own schedule, else Monday / the 1st "
                "at 08:00), with the XLSX attached; the report runs as the caller (their "
                "records only). `201` when new. `422`: a bad value, parameters the report "
                "refuses, or no e-mail address on the caller's account."),
            delete=operation("unsubscribe_report", tag, "Unsubscribe from a report", "204",
                             None, "401 403 404", taken)),
    }
