"""``/api/meta/reports``: the report builder's API. A saved report is a ``report``
customization (validated like YAML, versioned, seen by every process, written out by
``export-customizations``); a draft runs as a preview in the caller's scope without
being saved. Administrators and roles with the ``design`` operation on the report's
entity may use it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from ..base.context import Context
from ..base.problems import BadQuery, Invalid, NotFound
from ..compile.compiled import Compiled
from ..errors import did_you_mean
from ..i18n import message
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from ..runtime.access import Viewer
from ..runtime.form_designs import require_design
from ..runtime.report_designs import (
    buildable_entities,
    current_report_document,
    preview_report,
    report_versions,
    revert_report,
    save_report,
)
from .auth import current_context
from .connection import request_reading
from .requests import json_body, platform

report_builder_api = Blueprint("metacrm_report_builder", __name__,
                               url_prefix="/api/meta/reports")


def _entity_of_report(compiled: Compiled, name: str, ctx: Context) -> str:
    defined = compiled.catalog.reports.get(name)
    if defined is None:
        raise NotFound(f"unknown report '{name}'"
                       f"{did_you_mean(name, compiled.catalog.reports)}")
    require_design(compiled, ctx, defined.entity,
                   message("design_only", ctx.locale, entity=defined.entity))
    return defined.entity


def _versions(name: str) -> list[dict[str, Any]]:
    with platform().reading() as conn:
        found = report_versions(conn, name)
    return [{k: v for k, v in item.items() if k != "document"} for item in found]


def _saved(new_id: int, schema_version: int, name: str) -> Any:
    response = jsonify({"id": new_id, "report": name, "schema_version": schema_version,
                        "versions": _versions(name)})
    response.status_code = 201
    return response


@report_builder_api.get("")
def buildable() -> Any:
    """The entities the caller may build reports of, each with its reports."""
    ctx = current_context()
    compiled = platform().compiled
    items = []
    for entity in buildable_entities(compiled, ctx):
        reports = [r for r in compiled.catalog.reports.values() if r.entity == entity]
        items.append({"entity": entity, "reports": [
            {"report": r.name, "label": r.label.get(ctx.locale),
             "customized": r.bundle == CUSTOMIZATIONS_BUNDLE} for r in reports]})
    return jsonify({"items": items})


@report_builder_api.post("/preview")
def preview() -> Any:
    """Run a draft (``{"document": {...}, "parameters": {name: value}}``) without
    saving it: the answer ``GET /api/reports/<name>`` would give."""
    ctx = current_context()
    body = json_body(ctx)
    document, parameters = body.get("document"), body.get("parameters") or {}
    if not isinstance(parameters, dict) or not all(
            isinstance(v, str) for v in parameters.values()):
        raise BadQuery("'parameters' maps a parameter's name to its value as text")
    compiled = platform().compiled
    with request_reading() as conn:
        viewer = Viewer(compiled, ctx.principal, conn)
        return jsonify(preview_report(platform(), conn, viewer, ctx, document,
                                      {k: [v] for k, v in parameters.items()}, ctx.now))


@report_builder_api.post("")
def create() -> Any:
    """Save a report (a new one, or a new version of one of that name)."""
    ctx = current_context()
    document = json_body(ctx)
    new_id, fresh = save_report(platform(), ctx, document)
    return _saved(new_id, fresh.schema_version, document["report"])


@report_builder_api.get("/<name>")
def report(name: str) -> Any:
    """The report in force as a document (the keys of a reports/ YAML file), and its
    saved versions."""
    ctx = current_context()
    _entity_of_report(platform().compiled, name, ctx)
    with platform().reading() as conn:
        document = current_report_document(platform(), conn, name)
    return jsonify({"document": document, "versions": _versions(name)})


@report_builder_api.put("/<name>")
def save(name: str) -> Any:
    """Save a new version of report ``name``."""
    ctx = current_context()
    document = json_body(ctx)
    if document.get("report", name) != name:
        raise Invalid({"report": [f"the report is named '{document.get('report')}', but "
                                  f"saved as '{name}'"]})
    new_id, fresh = save_report(platform(), ctx, {"report": name, **document})
    return _saved(new_id, fresh.schema_version, name)


@report_builder_api.post("/<name>/versions/<int(max=9223372036854775807):version_id>/revert")
def revert(name: str, version_id: int) -> Any:
    """Go back to version ``version_id`` (0: the bundles' report): a new version equal to it."""
    ctx = current_context()
    _entity_of_report(platform().compiled, name, ctx)
    new_id, fresh = revert_report(platform(), ctx, name, version_id)
    return _saved(new_id, fresh.schema_version, name)


@report_builder_api.get("/<name>/versions")
def versions(name: str) -> Any:
    ctx = current_context()
    _entity_of_report(platform().compiled, name, ctx)
    return jsonify({"items": _versions(name)})
