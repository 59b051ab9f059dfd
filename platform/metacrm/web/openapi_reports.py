"""Describe the reports API in the OpenAPI document: the list of reports a caller may
run and one report's answer (web/reports_api.py, runtime/reports.py)."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from ..definitions import LANGUAGES, Catalog
from ..definitions.reports import AGGREGATES, BUCKETS, PRESENTATIONS, RATIO
from ..runtime.spreadsheet import XLSX_TYPE
from .openapi_parts import OPTIONAL_TEXT, TEXT, Schema, items, obj, operation, param, path, ref

VALUE: Schema = {"type": ["string", "integer", "boolean", "null"],
                 "description": "Money and decimals as exact decimal text; days and moments "
                 "in ISO 8601; ratios as decimal text (0.2500); null when there is none."}
PAIRS: Schema = {"type": "array", "items": {"type": "array", "prefixItems": [TEXT, TEXT],
                                            "minItems": 2, "maxItems": 2},
                 "description": "Filters of the list grammar (`[key, value]`) for GET "
                 "/api/<entity>: the records this figure counts."}


def report_schemas() -> dict[str, Schema]:
    key = obj("value label", value=VALUE, label=OPTIONAL_TEXT)
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
            parameters={"type": "array", "items": obj(
                "name label field kind default", name=TEXT, label=TEXT, field=TEXT,
                kind={"enum": ["period", "value"]}, default=OPTIONAL_TEXT)}),
        "ReportResult": obj(
            "report label entity presentation parameters dimensions columns rows totals "
            "series filters", report=TEXT, label=TEXT, description=OPTIONAL_TEXT,
            entity=TEXT, presentation={"enum": list(PRESENTATIONS)},
            parameters={"type": "array", "items": parameter},
            dimensions={"type": "array", "maxItems": 2, "items": obj(
                "axis field bucket label", axis={"enum": ["rows", "columns"]},
                field=OPTIONAL_TEXT,
                bucket={"enum": [*BUCKETS, None]}, label=TEXT)},
            columns={"type": "array", "items": obj(
                "name label aggregate field", name=TEXT, label=TEXT,
                aggregate={"enum": [*AGGREGATES, RATIO]}, field=OPTIONAL_TEXT)},
            rows={"type": "array", "items": obj(
                "values filters query", rows=key, columns=key, values=values, filters=PAIRS,
                query={"type": "string", "description": "The filters as a query string."})},
            totals={"type": ["object", "null"], "required": ["all"], "properties": {
                "all": values,
                "rows": {"type": "array", "items": {**key, "properties": {
                    **key["properties"], "values": values}}},
                "columns": {"type": "array", "items": {**key, "properties": {
                    **key["properties"], "values": values}}}}},
            series=obj("categories series", categories={"type": "array"},
                       measure=TEXT, series={"type": "array", "items": obj(
                           "name data", name=OPTIONAL_TEXT, measure=TEXT,
                           data={"type": "array"})}),
            filters=PAIRS),
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
        "caller). A bad or unknown one is `400` naming it.", style="form", explode=True)
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
    })
