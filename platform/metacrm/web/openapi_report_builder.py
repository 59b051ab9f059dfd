"""The OpenAPI description of the report builder's API (``/api/meta/reports``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..definitions import Catalog
from .openapi_designer import VERSIONS
from .openapi_parts import Schema, body, obj, param, path

_INTEGER: Schema = {"type": "integer"}
_SAVED = obj("id report schema_version versions", id=_INTEGER, report={"type": "string"},
             schema_version=_INTEGER, versions=VERSIONS)
_REPORT: Schema = {"type": "object", "required": ["report", "entity", "measures"],
                   "properties": {"report": {"type": "string"}, "entity": {"type": "string"},
                                  "measures": {"type": "array", "items": {"type": "object"}}},
                   "description": "A report with the keys of a `reports/` YAML file "
                   "(docs/reports.md)."}


def report_builder_paths(catalog: Catalog, tag: str, op: Callable[..., Schema]
                         ) -> dict[str, Any]:
    """The paths, described with the platform's ``op`` (operation ids kept unique)."""
    name = param("name", "path", {"type": "string", "examples": list(catalog.reports)[:3]},
                 "The report's name (`report:`).", required=True)
    version = param("id", "path", _INTEGER, "A version's id (`0`: the report as the "
                    "bundles define it).", required=True)
    who = " Administrators and roles with `design` on the report's entity."
    checked = "Checked like a YAML file (`422` with the reasons)."
    return {
        "/api/meta/reports": path(
            get=op(tag, "builder_list", "The entities the caller may build reports of, with "
                   "their reports", "401", obj("items", items={"type": "array", "items": obj(
                       "entity reports", entity={"type": "string"},
                       reports={"type": "array", "items": {"type": "object"}})})),
            post=op(tag, "builder_create_report", "Save a report (a new one, or the newest "
                    "version of one of that name)", "400 401 403 409 422", _SAVED, "201",
                    description=checked + " Every process runs it at once." + who,
                    requestBody=body(_REPORT))),
        "/api/meta/reports/preview": path(post=op(
            tag, "builder_preview_report", "Run a draft report without saving it",
            "400 401 403 422", {"type": "object", "description": "What `GET "
                                "/api/reports/{name}` answers."},
            description=checked + " It runs in the caller's scope." + who,
            requestBody=body(obj("document", document=_REPORT, parameters={
                "type": "object", "additionalProperties": {"type": "string"},
                "description": "A value per report parameter, as in the query string of "
                               "`GET /api/reports/{name}`."})))),
        "/api/meta/reports/{name}": path(
            name,
            get=op(tag, "builder_get_report", "The report in force as a document, and its "
                   "saved versions", "401 403 404",
                   obj("document versions", document=_REPORT, versions=VERSIONS),
                   description=who),
            put=op(tag, "builder_save_report", "Save a new version of a report",
                   "400 401 403 409 422", _SAVED, "201", description=checked + who,
                   requestBody=body(_REPORT))),
        "/api/meta/reports/{name}/versions": path(name, get=op(
            tag, "builder_list_versions", "The saved versions of a report, oldest first",
            "401 403 404", obj("items", items=VERSIONS), description=who)),
        "/api/meta/reports/{name}/versions/{id}/revert": path(name, version, post=op(
            tag, "builder_revert_report", "Go back to a version: a new version equal to it",
            "401 403 404 409 422", _SAVED, "201", description=who)),
    }
