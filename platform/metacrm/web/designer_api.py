"""``/api/meta/forms``: the form designer's API. A saved layout is a ``form``
customization (validated like YAML, versioned, seen by every process); its
versions are listed and reverted here; conditions are checked as ``check`` does.
Administrators and roles with the ``design`` operation on the entity may use it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from ..base.context import Context
from ..base.problems import BadQuery, Invalid, NotFound
from ..compile.compiled import Compiled
from ..errors import did_you_mean
from ..i18n import message
from ..load.bundles import CUSTOMIZATIONS_BUNDLE
from ..runtime.form_designs import (
    check_condition,
    current_document,
    designable,
    layout_versions,
    require_design,
    revert_layout,
    save_layout,
)
from .auth import current_context
from .requests import json_body, platform

designer_api = Blueprint("metacrm_designer", __name__, url_prefix="/api/meta/forms")


def _entity_of_form(compiled: Compiled, form: str, ctx: Context) -> str:
    defined = compiled.catalog.forms.get(form)
    if defined is None:
        raise NotFound(f"unknown form '{form}'{did_you_mean(form, compiled.catalog.forms)}")
    require_design(compiled, ctx, defined.entity,
                   message("design_only", ctx.locale, entity=defined.entity))
    return defined.entity


def _require(compiled: Compiled, ctx: Context, entity: str) -> None:
    if entity not in compiled.models:
        raise NotFound(f"unknown entity '{entity}'{did_you_mean(entity, compiled.models)}")
    require_design(compiled, ctx, entity, message("design_only", ctx.locale, entity=entity))


def _versions(form: str) -> list[dict[str, Any]]:
    with platform().reading() as conn:
        found = layout_versions(conn, form)
    return [{k: v for k, v in item.items() if k != "document"} for item in found]


@designer_api.get("")
def layouts() -> Any:
    """The entities the caller may design, each with its layouts."""
    ctx = current_context()
    compiled = platform().compiled
    wanted = request.args.get("entity")
    items = []
    for entity in designable(compiled, ctx):
        if wanted and entity != wanted:
            continue
        forms = sorted((f for f in compiled.catalog.forms.values() if f.entity == entity),
                       key=lambda f: (bool(f.roles), f.name))
        items.append({"entity": entity, "forms": [
            {"form": f.name, "label": f.label.get(ctx.locale), "roles": list(f.roles),
             "customized": f.bundle == CUSTOMIZATIONS_BUNDLE} for f in forms]})
    return jsonify({"items": items})


@designer_api.get("/<form>")
def layout(form: str) -> Any:
    """The layout in force as a document (the keys of a forms/ YAML file), and its
    saved versions."""
    ctx = current_context()
    _entity_of_form(platform().compiled, form, ctx)
    with platform().reading() as conn:
        document = current_document(platform(), conn, form)
    return jsonify({"document": document, "versions": _versions(form)})


@designer_api.put("/<form>")
def save(form: str) -> Any:
    """Save a layout: a new version of it (a new layout when the name is new)."""
    ctx = current_context()
    compiled = platform().compiled
    document = json_body(ctx)
    if document.get("form", form) != form:
        raise Invalid({"form": [f"the layout is named '{document.get('form')}', but saved "
                                f"as '{form}'"]})
    document = {"form": form, **{k: v for k, v in document.items() if k != "form"}}
    entity = document.get("entity")
    if not isinstance(entity, str):
        raise Invalid({"entity": ["A layout names the entity it lays out in 'entity'."]})
    _require(compiled, ctx, entity)
    if form in compiled.catalog.forms:
        _entity_of_form(compiled, form, ctx)
        if compiled.catalog.forms[form].entity != entity:
            raise Invalid({"entity": [f"layout '{form}' lays out "
                                      f"'{compiled.catalog.forms[form].entity}', not "
                                      f"'{entity}'"]})
    new_id, fresh = save_layout(platform(), ctx, document)
    response = jsonify({"id": new_id, "schema_version": fresh.schema_version,
                        "versions": _versions(form)})
    response.status_code = 201
    return response


@designer_api.get("/<form>/versions")
def versions(form: str) -> Any:
    ctx = current_context()
    _entity_of_form(platform().compiled, form, ctx)
    return jsonify({"items": _versions(form)})


@designer_api.get("/<form>/versions/<int(max=9223372036854775807):version_id>")
def version(form: str, version_id: int) -> Any:
    ctx = current_context()
    _entity_of_form(platform().compiled, form, ctx)
    with platform().reading() as conn:
        found = {v["id"]: v for v in layout_versions(conn, form)}
    if version_id not in found:
        raise NotFound(f"layout '{form}' has no version {version_id}")
    return jsonify(found[version_id])


@designer_api.post("/<form>/versions/<int(max=9223372036854775807):version_id>/revert")
def revert(form: str, version_id: int) -> Any:
    """Go back to version ``version_id`` (0: the bundles' layout): a new version equal to it."""
    ctx = current_context()
    _entity_of_form(platform().compiled, form, ctx)
    new_id, fresh = revert_layout(platform(), ctx, form, version_id)
    response = jsonify({"id": new_id, "schema_version": fresh.schema_version,
                        "versions": _versions(form)})
    response.status_code = 201
    return response


@designer_api.post("/conditions")
def condition() -> Any:
    """Check a condition (``{"entity", "expression"}``) as ``metacrm check`` would:
    ``{"valid": true}`` or ``{"valid": false, "error": <what and where>}``."""
    ctx = current_context()
    body = json_body(ctx)
    entity, source = body.get("entity"), body.get("expression")
    if not isinstance(entity, str) or not isinstance(source, str):
        raise BadQuery("send {\"entity\": <name>, \"expression\": <CEL text>}")
    compiled = platform().compiled
    _require(compiled, ctx, entity)
    error = check_condition(compiled.catalog, compiled.catalog.entities[entity], source)
    if error is None:
        return jsonify({"valid": True})
    return jsonify({"valid": False, "error": error.message})
