"""``/api/meta``: the compiled definitions for clients, runtime customizations,
and the OpenAPI document."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, jsonify, request

from ..base.problems import BadQuery, NotFound
from ..definitions import Catalog, EntityDef, FieldDef, OptionSetDef
from ..errors import did_you_mean
from ..identity.security_events import record_event
from ..platform import read_customizations
from ..runtime.access import EntityAccess, Viewer
from ..runtime.customization_removal import remove_customization, restore_customization
from ..runtime.customize import add_customization
from ..runtime.form_designs import designed_entity, may_design
from .auth import current_context, is_admin, require_admin
from .meta_forms import describe_form
from .requests import json_body, platform
from .security_api import request_actor

meta_api = Blueprint("metacrm_meta", __name__, url_prefix="/api")


@meta_api.get("/meta/entities")
def entities() -> Any:
    """The entities the caller may do anything with, and what they may do."""
    ctx = current_context()
    compiled = platform().compiled
    viewer = Viewer(compiled, ctx.principal)
    items = []
    for model in compiled.models.values():
        access = viewer.of(model)
        if access.policy.operations:
            items.append({**_entity_summary(model.entity, ctx.locale),
                          "operations": sorted(access.policy.operations)})
    return jsonify({"items": items})


@meta_api.get("/meta/entities/<name>")
def entity(name: str) -> Any:
    ctx = current_context()
    compiled = platform().compiled
    model = compiled.models.get(name)
    access = Viewer(compiled, ctx.principal).of(model) if model is not None else None
    if model is None or access is None or not access.policy.operations:
        raise NotFound(f"unknown entity '{name}'{did_you_mean(name, compiled.models)}")
    described = describe_entity(compiled.catalog, model.entity, ctx.locale, access)
    viewer = Viewer(compiled, ctx.principal)
    described["form"] = describe_form(viewer, viewer.of(model), ctx.locale)
    return jsonify(described)


@meta_api.get("/meta/optionsets/<name>")
def optionset(name: str) -> Any:
    ctx = current_context()
    catalog = platform().compiled.catalog
    found = catalog.optionsets.get(name)
    if found is None:
        raise NotFound(f"unknown option set '{name}'{did_you_mean(name, catalog.optionsets)}")
    return jsonify(describe_optionset(found, ctx.locale))


@meta_api.get("/meta/customizations")
def customizations() -> Any:
    require_admin(current_context())
    with platform().reading() as conn:
        version, stored = read_customizations(conn)
    return jsonify({"schema_version": version,
                    "items": [{"id": cid, "document": doc} for cid, doc in stored]})


@meta_api.post("/meta/customizations")
def customize() -> Any:
    """Administrators customize anything; a role with ``design`` on an entity may add
    a layout of it or fields to it (what the form designer does)."""
    ctx = current_context()
    document = json_body(ctx)
    if not is_admin(ctx):
        entity = designed_entity(platform().compiled, document)
        if entity is None or not may_design(platform().compiled, ctx, entity):
            require_admin(ctx)
    new_id, compiled = add_customization(platform(), ctx, document)
    roles = [document[k] for k in ("role", "extend_role") if isinstance(document.get(k), str)]
    if roles:  # who may do what changed
        with platform().writing() as conn:
            record_event(conn, compiled.metadata, "role.customized", request_actor(ctx),
                         ctx.now, details={"customization": new_id, "roles": roles})
    response = jsonify({"id": new_id, "schema_version": compiled.schema_version})
    response.status_code = 201
    return response


@meta_api.delete("/meta/customizations/<int(max=9223372036854775807):customization_id>")
def remove_customization_route(customization_id: int) -> Any:
    """Remove a customization (kept, marked, to be restored). Dropping what only it
    defined deletes values: that needs ``?allow_destructive=true``."""
    ctx = current_context()
    require_admin(ctx)
    allow = request.args.get("allow_destructive", "false")
    if allow not in ("true", "false"):
        raise BadQuery(f"allow_destructive must be 'true' or 'false', not {allow!r}")
    document, compiled, changes = remove_customization(
        platform(), ctx, customization_id, allow_destructive=allow == "true")
    _record_role_change(compiled, ctx, document, customization_id, "removed")
    return jsonify({"id": customization_id, "document": document, "removed": True,
                    "schema_version": compiled.schema_version, "changes": changes})


@meta_api.post("/meta/customizations/<int(max=9223372036854775807):customization_id>/restore")
def restore_customization_route(customization_id: int) -> Any:
    ctx = current_context()
    require_admin(ctx)
    document, compiled, changes = restore_customization(platform(), ctx, customization_id)
    _record_role_change(compiled, ctx, document, customization_id, "restored")
    return jsonify({"id": customization_id, "document": document, "removed": False,
                    "schema_version": compiled.schema_version, "changes": changes})


def _record_role_change(compiled: Any, ctx: Any, document: dict[str, Any], customization_id: int,
                        what: str) -> None:
    roles = [document[k] for k in ("role", "extend_role") if isinstance(document.get(k), str)]
    if roles:  # who may do what changed
        with platform().writing() as conn:
            record_event(conn, compiled.metadata, "role.customized", request_actor(ctx),
                         ctx.now, details={"customization": customization_id, "roles": roles,
                                           what: True})


@meta_api.get("/openapi.json")
def openapi() -> Any:
    """The API as the caller may use it: the entities they may work with, without
    the fields their roles hide."""
    from .openapi import build_openapi

    ctx = current_context()
    compiled = platform().compiled
    catalog = visible_catalog(compiled.catalog, Viewer(compiled, ctx.principal), compiled)
    # The configured address, or one relative to the document: a Host header is the
    # client's to choose, and a cached or shared document must not point elsewhere.
    settings = platform().settings
    return jsonify(build_openapi(catalog, ctx.locale, settings.public_url or "/",
                                 settings.password_min_length))


def visible_catalog(catalog: Catalog, viewer: Viewer, compiled: Any) -> Catalog:
    entities = {}
    for name, model in compiled.models.items():
        access = viewer.of(model)
        if not access.policy.operations:
            continue
        entity = catalog.entities[name]
        if access.hidden:
            entity = replace(entity, fields={n: f for n, f in entity.fields.items()
                                             if n not in access.hidden},
                             search=tuple(n for n in entity.search if n not in access.hidden),
                             default_sort=tuple(k for k in entity.default_sort
                                                if k.lstrip("-") not in access.hidden))
        entities[name] = entity
    # A reference to an entity left out stays a plain id in the document.
    return replace(catalog, entities=entities)


def _entity_summary(entity: EntityDef, lang: str) -> dict[str, Any]:
    return {"name": entity.name, "label": entity.label.get(lang),
            "plural": entity.plural.get(lang), "bundle": entity.bundle}


def describe_entity(catalog: Catalog, entity: EntityDef, lang: str,
                    access: EntityAccess | None = None) -> dict[str, Any]:
    """The entity as the caller may use it: without the fields their role hides, with
    the fields it makes read-only marked so, and the operations it allows."""
    hidden = access.hidden if access else frozenset()
    readonly = access.readonly if access else frozenset()
    rules = access.model.rules if access else []
    return {
        **_entity_summary(entity, lang),
        "help": entity.help.get(lang) or None,
        "labels": entity.label.as_dict(),
        "title": entity.title if entity.title not in hidden else None,
        "search": [n for n in entity.search if n not in hidden],
        "default_sort": [k for k in entity.default_sort if k.lstrip("-") not in hidden],
        "owned_by": entity.owned_by if entity.owned_by not in hidden else None,
        "pool": entity.pool is not None,
        "operations": sorted(access.policy.operations) if access else [],
        "fields": [describe_field(catalog, f, lang, f.name in readonly)
                   for f in entity.fields.values() if f.name not in hidden],
        "indexes": [{"fields": list(i.fields), "unique": i.unique,
                     "include": [n for n in i.include if n not in hidden]}
                    for i in entity.indexes if not hidden & set(i.fields)],
        # A rule that speaks of a hidden field would tell what the field is for.
        "rules": [{"name": r.name, "check": r.check, "when": r.when, "field": r.field,
                   "message": r.message.get(lang)} for r in entity.rules
                  if not any(c.rule is r and hidden & c.names for c in rules)],
    }


def describe_field(catalog: Catalog, field: FieldDef, lang: str,
                   role_readonly: bool = False) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": field.name, "type": field.type, "label": field.label.get(lang),
        "labels": field.label.as_dict(), "help": field.help.get(lang) or None,
        "required": field.required, "unique": field.unique,
        # readonly: no client may change it after create (computed fields never)
        "readonly": not field.writable or role_readonly, "computed": field.computed,
    }
    for key in ("default", "min", "max", "max_length", "pattern", "to", "format",
                "expression", "result", "scale"):
        value = getattr(field, key)
        if value is not None:
            described[key] = value
    if field.type == "reference":
        described["on_delete"] = field.on_delete
    if field.options:
        described["optionset"] = field.options
        described["options"] = describe_optionset(catalog.optionsets[field.options],
                                                  lang)["options"]
    return described


def describe_optionset(optionset: OptionSetDef, lang: str) -> dict[str, Any]:
    return {
        "name": optionset.name, "label": optionset.label.get(lang),
        "options": [{"value": o.value, "label": o.label.get(lang),
                     "help": o.help.get(lang) or None, "color": o.color,
                     **dict(o.attributes)} for o in optionset.options],
    }
