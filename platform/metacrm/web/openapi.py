"""Describe the REST API of a catalog as an OpenAPI 3.1 document: the entities'
schemas and record paths (their workflows in openapi_workflows.py, the platform's own
paths in openapi_platform_paths.py, with their bodies in openapi_platform_schemas.py,
and openapi_approvals.py)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, NamedTuple

from ..definitions import LANGUAGES, Catalog, EntityDef, FieldDef
from ..fieldtypes import SchemaEnv
from ..identity.password_policy import DEFAULT_MIN_LENGTH
from .openapi_approvals import approval_paths, approval_schemas
from .openapi_dashboards import dashboard_paths, dashboard_schemas
from .openapi_duplicates import CANDIDATES_NOTE, duplicate_paths, duplicate_schemas
from .openapi_intake import intake_paths, intake_schemas
from .openapi_parts import (
    INT64,
    SECURITY,
    Schema,
    array_of,
    body,
    components,
    items,
    operation,
    param,
    params,
    path,
    ref,
    requirements,
    shared_schemas,
    unique,
)
from .openapi_platform_paths import entity_extra_paths, platform_paths
from .openapi_platform_schemas import platform_schemas
from .openapi_reports import report_paths, report_schemas
from .openapi_workflows import (
    EntityFlow,
    detail_schema,
    entity_flow,
    flow_paths,
    flow_properties,
    state_note,
)

OPENAPI_VERSION = "3.1.0"
MAX_BULK = 1000
_MOMENT: Schema = {"type": "string", "format": "date-time"}
_SCHEMA_SUFFIXES = ("", "Create", "Update", "List")
_DEFAULT_MACROS = {"$today": "today", "$now": "now", "$user": "the current user"}
_FILTER_HELP = (
    "Filters: `field=value` (equal) or `field__op=value`, for every stored field and the system "
    "fields. Operators: `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in` (comma-separated values), "
    "`contains` (text, case-insensitive; or a multi-choice or multi-reference field holding the "
    "value), `startswith` (text, case-insensitive), `isnull` (`true`/`false`). Filters follow "
    "references with a dot (`customer.city=...`) and all apply (AND). Pages are keyset "
    "cursors: pass `next_cursor` back as `cursor` with the same filters and sort.")
_SYSTEM = ("id", "created_at", "updated_at", "created_by", "updated_by", "version")
# The export's own parameter (and ``lang``); a filter on a field of that name cannot be
# sent to it.
_EXPORT_FORMAT = "format"


class _Context(NamedTuple):
    catalog: Catalog
    names: dict[str, str]  # entity name -> its component schema's name
    lang: str
    flows: dict[str, EntityFlow]  # entity name -> its workflow and chains (those with any)


def build_openapi(catalog: Catalog, lang: str = "en", server_url: str = "/",
                  password_min_length: int = DEFAULT_MIN_LENGTH) -> dict:
    """The whole API of ``catalog`` as an OpenAPI 3.1 document, labels in ``lang``;
    ``password_min_length``: the configured password policy's."""
    schemas: dict[str, Schema] = {**platform_schemas(password_min_length),
                                  **approval_schemas(), **report_schemas(),
                                  **intake_schemas(catalog), **duplicate_schemas(),
                                  **dashboard_schemas()}
    flows = {name: flow for name in catalog.entities
             if (flow := entity_flow(catalog, name)) is not None}
    ctx = _Context(catalog, _schema_names(catalog, {*shared_schemas(), *schemas}), lang, flows)
    paths: dict[str, Any] = {}
    tags: list[dict[str, str]] = []
    operation_ids: set[str] = set()
    for entity in catalog.entities.values():
        base = ctx.names[entity.name]
        schemas[base] = _record_schema(ctx, entity)
        schemas[base + "Create"] = _input_schema(ctx, entity, create=True)
        schemas[base + "Update"] = _input_schema(ctx, entity, create=False)
        schemas[base + "List"] = {"type": "object", "required": ["items", "next_cursor"],
                                  "properties": {
            "items": {"type": "array", "items": ref(base)},
            "next_cursor": {"type": ["string", "null"],
                            "description": "Pass back as `cursor`; null on the last page."},
            "count": {"type": "integer", "description": "Matching records (`count=true`)."}}}
        tag = unique(entity.label.get(lang), {t["name"] for t in tags}, f" ({entity.name})")
        tags.append({"name": tag, "description": entity.help.get(lang) or entity.plural.get(lang)})
        paths.update(_entity_paths(ctx, entity, tag, operation_ids))
        paths.update(entity_extra_paths(
            entity, base, tag, operation_ids,
            pool_parameters=_list_parameters(ctx, entity, entity.default_sort),
            export_parameters=_list_parameters(ctx, entity, entity.default_sort, export=True)))
        paths.update(duplicate_paths(entity, base, tag, operation_ids))
        if entity.name in flows:
            paths.update(flow_paths(flows[entity.name], entity, base, tag, lang, operation_ids))
    paths.update(platform_paths(catalog, tags, operation_ids))
    paths.update(approval_paths(tags, operation_ids))
    paths.update(report_paths(catalog, tags, operation_ids))
    paths.update(intake_paths(catalog, tags, operation_ids))
    paths.update(dashboard_paths(catalog, tags, operation_ids))
    product = catalog.product_label
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": (product.get(lang) if product else None) or "metacrm",
                 "version": ", ".join(f"{b.name} {b.version}" for b in catalog.bundles) or "0",
                 "description": "Generated from the loaded definitions (docs/api.md). Every "
                 "request needs an API token or a signed-in session (docs/security.md)."},
        "servers": [{"url": server_url}],
        "security": requirements(SECURITY),
        "tags": tags,
        "paths": paths,
        "components": components(schemas),
    }


def _schema_names(catalog: Catalog, taken: set[str]) -> dict[str, str]:
    """``sales_order`` -> ``SalesOrder``; a clash with another name adds a trailing ``_``."""
    names: dict[str, str] = {}
    for name in catalog.entities:
        base = "".join(part.capitalize() for part in name.split("_"))
        while any(base + s in taken for s in _SCHEMA_SUFFIXES):
            base += "_"
        taken.update(base + s for s in _SCHEMA_SUFFIXES)
        names[name] = base
    return names


def _nullable(schema: Schema) -> None:
    if "oneOf" in schema:
        schema["oneOf"].append({"type": "null"})
    elif "type" in schema:
        types = schema["type"]
        schema["type"] = [*types, "null"] if isinstance(types, list) else [types, "null"]
        if "enum" in schema:  # enum restricts as well, so it must admit null too
            schema["enum"] = [*schema["enum"], None]


def _value_schema(ctx: _Context, field: FieldDef, output: bool) -> Schema:
    """The JSON value of ``field`` as the API returns it (``output``) or accepts it."""
    return ctx.catalog.field_types.of(field).schema(field, output, _schema_env(ctx, field))


def _schema_env(ctx: _Context, field: FieldDef) -> SchemaEnv:
    """The option values and the referenced record's schema a field's schema names."""
    optionset = ctx.catalog.optionsets.get(field.options or "")
    references = ctx.catalog.field_types.of(field).references
    target = "User" if references == "user" else ctx.names.get(field.to or "") if (
        references == "record") else None
    return SchemaEnv(options=optionset.values() if optionset else (),
                     target=ref(target) if target else None)


def _describe(ctx: _Context, schema: Schema, field: FieldDef, note: str = "") -> Schema:
    text = " ".join(t for t in (field.help.get(ctx.lang), note) if t)
    return dict(schema, title=field.label.get(ctx.lang), **({"description": text} if text else {}))


def _record_schema(ctx: _Context, entity: EntityDef) -> Schema:
    """A record as returned; only ``id`` is sure to be there (``?fields=`` selects)."""
    props: dict[str, Schema] = {"id": {"type": "integer", "format": "int64", "readOnly": True}}
    flow = ctx.flows.get(entity.name)
    for field in entity.fields.values():
        schema = _value_schema(ctx, field, output=True)
        # A link table answers a list, an autonumber is always set; the rest may be empty.
        if not (field.required or field.type in ("multi_reference", "autonumber")):
            _nullable(schema)
        state = flow is not None and field.name == flow.state_field
        if state or not (field.writable or field.readonly):  # computed: autonumber, formula...
            schema["readOnly"] = True
        props[field.name] = _describe(ctx, schema, field, state_note(entity.name) if state
                                      else "")
    for name in ("created_at", "updated_at"):
        props[name] = {"type": "string", "format": "date-time", "readOnly": True}
    for name in ("created_by", "updated_by"):
        props[name] = {"oneOf": [{"type": "integer"}, ref("User"), {"type": "null"}],
                       "readOnly": True}
    props["version"] = {"type": "integer", "readOnly": True,
                        "description": "Raised by every change; sent as the `ETag` header."}
    if flow is not None:
        props.update(flow_properties(flow))
    if entity.duplicates:
        props["_duplicates"] = {**array_of(ref("DuplicateCandidate")), "readOnly": True,
                                "description": "Only in a create's answer, when warning "
                                "rules found likely duplicates. " + CANDIDATES_NOTE}
    return {"type": "object", "title": entity.label.get(ctx.lang), "required": ["id"],
            "properties": props, **({"description": entity.help.get(ctx.lang)} if entity.help
                                    else {})}


def _input_schema(ctx: _Context, entity: EntityDef, create: bool) -> Schema:
    """The body of POST (``create``) or PATCH: writable fields only, nothing else."""
    props: dict[str, Schema] = {}
    required: list[str] = []
    flow = ctx.flows.get(entity.name)
    state = flow.state_field if flow else None  # only transitions change it
    for field in entity.fields.values():
        if field.name == state or (not field.writable and not (create and field.readonly)):
            continue  # computed, set once, or a workflow's state
        schema = _value_schema(ctx, field, output=False)
        if field.required:  # "" and [] do not count as a value
            schema.update({"minLength": 1} if schema.get("type") == "string" else {
                "minItems": 1} if schema.get("type") == "array" else {})
        elif field.type != "multi_reference":
            _nullable(schema)
        note = "Cannot be changed later." if field.readonly else ""
        if create and isinstance(field.default, str) and field.default in _DEFAULT_MACROS:
            note = f"Defaults to {_DEFAULT_MACROS[field.default]}. {note}".strip()
        elif create and field.default is not None:
            default = field.default  # YAML may have read an unquoted date
            schema["default"] = default.isoformat() if isinstance(default, date) else default
        elif create and field.required:
            required.append(field.name)
        props[field.name] = _describe(ctx, schema, field, note)
    return {"type": "object", "title": entity.label.get(ctx.lang), "properties": props,
            "additionalProperties": False, **({"required": required} if required else {})}


def _shape_parameters(entity: EntityDef, expand: bool = True) -> list[Schema]:
    """``fields`` and ``expand``: taken by lists and by GET of one record."""
    refs = [f.name for f in entity.fields.values()
            if f.type in ("reference", "user", "multi_reference")]
    shape = [param("fields", "query", {"type": "array", "items": {"type": "string", "enum": [
        *_SYSTEM, *entity.fields]}}, "Only these fields (and `id`).", style="form", explode=False)]
    if expand:
        shape.append(param("expand", "query", {"type": "array", "items": {
            "type": "string", "enum": [*refs, "created_by", "updated_by"]}},
                           "Records instead of ids; `a.b` goes deeper. References: "
                           f"{', '.join(refs) or 'none'}, `created_by`, `updated_by`.",
                           style="form", explode=False))
    return shape


def _list_parameters(ctx: _Context, entity: EntityDef, sort: tuple[str, ...],
                     export: bool = False) -> list[Schema]:
    """A list's query parameters; an export's (``export``) have no pages or expansion,
    and a ``format`` instead (runtime/export.py ignores the rest)."""
    ordering = [param("sort", "query", {"type": "string", "pattern": _sort_pattern(ctx, entity)},
                      "Comma-separated fields, each once, a leading `-` for descending (`id` is "
                      f"added last); default `{','.join(sort)}`."),
                param("q", "query", {"type": "string"},
                      f"Text search in: {', '.join(entity.search) or '-'}.")]
    if export:
        found = [param(_EXPORT_FORMAT, "query", {"type": "string",
                                                 "enum": ["csv", "json", "xlsx"],
                                                 "default": "csv"},
                       "`csv` (UTF-8 with a byte order mark), `json` (JSON lines) or `xlsx` "
                       "(an Excel workbook: labels, typed cells)."),
                 param("lang", "query", {"type": "string", "enum": list(LANGUAGES)},
                       "The language of an XLSX's labels (default: Accept-Language's)."),
                 *ordering, *_shape_parameters(entity, expand=False)]
    else:
        found = [*params("Limit", "Cursor"), *ordering, *_shape_parameters(entity),
                 *params("Count")]
    found += [param(name, "query", dict(_MOMENT) if name[-3:] == "_at" else dict(INT64))
              for name in _SYSTEM]
    found += [param(f.name, "query", _filter_schema(ctx, f), f"{f.label.get(ctx.lang)} equals "
                    f"this (other operators: `{f.name}__<op>`).")
              for f in entity.fields.values()
              if f.stored and not (export and f.name in (_EXPORT_FORMAT, "lang"))]
    return found


def _sort_pattern(ctx: _Context, entity: EntityDef) -> str:
    """The fields a list sorts by (runtime/query.py _sort): stored ones but lists and
    json, and the system fields."""
    names = [*_SYSTEM, *(f.name for f in entity.fields.values() if f.stored and f.value_type
                         not in ("multi_choice", "multi_reference", "json"))]
    one = f"-?({'|'.join(re.escape(n) for n in names)})"
    return f"^({one}(,{one})*)?$"


def _filter_schema(ctx: _Context, field: FieldDef) -> Schema:
    """The value of ``field=`` in a query string: one plain value, never null."""
    return ctx.catalog.field_types.of(field).filter_schema(field, _schema_env(ctx, field))


def _entity_paths(ctx: _Context, entity: EntityDef, tag: str, taken: set[str]) -> dict:
    name, base = entity.name, ctx.names[entity.name]

    def op(verb: str, summary: str, code: str, schema: Schema | None, errors: str,
           *headers: str, **more: Any) -> Schema:
        return operation(f"{verb}_{name}", tag, summary, code, schema,
                         "401 403 " + errors, taken, headers, **more)

    def listing(verb: str, summary: str, sort: tuple[str, ...],
                schema: Schema | None = None) -> Schema:
        return op(verb, summary, "200", schema or ref(base + "List"), "400",
                  description=_FILTER_HELP, parameters=_list_parameters(ctx, entity, sort))

    binned = {"allOf": [ref(base), {"type": "object", "required": ["deleted_at"], "properties": {
        "deleted_at": {"type": "string", "format": "date-time", "readOnly": True,
                       "description": "When it went to the recycle bin."}}}]}
    bin_page = {"type": "object", "required": ["items", "next_cursor"], "properties": {
        "items": {"type": "array", "items": binned},
        "next_cursor": {"type": ["string", "null"]}, "count": {"type": "integer"}}}

    bulk = dict(items(ref(base + "Create"), minItems=1, maxItems=MAX_BULK),
                additionalProperties=False)
    return {
        f"/api/{name}": path(
            get=listing("list", f"List {name} records", entity.default_sort),
            post=op("create", f"Create one {name}", "201", ref(base), "400 409 422",
                    "Location", "ETag", requestBody=body(ref(base + "Create")))),
        f"/api/{name}/bulk": path(post=op(
            "bulk_create", f"Create many {name} records, all or nothing", "201",
            items(ref(base)), "400 409 422", requestBody=body(bulk))),
        f"/api/{name}/deleted": path(get=listing(
            "list_deleted", f"List the recycle bin of {name}", ("-deleted_at",), bin_page)),
        f"/api/{name}/{{id}}": path(
            "RecordId", get=op("get", f"Get one {name}", "200",
                               detail_schema(base, ctx.flows.get(name)), "400 404", "ETag",
                               parameters=_shape_parameters(entity)),
            patch=op("update", f"Change one {name}", "200", ref(base), "400 404 409 412 422",
                     "ETag", parameters=params("IfMatch"),
                     requestBody=body(ref(base + "Update"))),
            delete=op("delete", f"Move one {name} (and its cascade references) to the "
                      "recycle bin", "204", None, "400 404 409 412",
                      parameters=params("IfMatch"))),
        f"/api/{name}/{{id}}/restore": path("RecordId", post=op(
            "restore", f"Restore one {name} from the recycle bin", "200", ref(base), "404 409",
            "ETag")),
        f"/api/{name}/{{id}}/history": path("RecordId", get=op(
            "history", f"Audit trail of one {name}, newest first", "200", items(ref("History")),
            "404")),
    }
