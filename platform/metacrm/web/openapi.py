"""Describe the REST API of a catalog as an OpenAPI 3.1 document."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from ..definitions import Catalog, EntityDef, FieldDef
from ..fieldtypes import DEFAULT_DECIMAL_SCALE, DEFAULT_STRING_LENGTH

Schema = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
MAX_LIMIT, DEFAULT_LIMIT, MAX_BULK = 500, 50, 1000
# Lengths of the columns behind text types without max_length (see fieldtypes.py).
_TEXT_LENGTHS = {"string": DEFAULT_STRING_LENGTH, "email": 254, "phone": 40, "url": 2048}
_DECIMALS = ("decimal", "money", "percent")
_SIMPLE: dict[str, Schema] = {
    "integer": {"type": "integer", "format": "int64"}, "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"}, "autonumber": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"}}
_NUMBER_TEXT = r"^-?\d+(\.\d+)?$"
_SHARED_SCHEMAS, _SCHEMA_SUFFIXES = ("Errors", "History", "User"), ("", "Create", "Update", "List")
_DEFAULT_MACROS = {"$today": "today", "$now": "now", "$user": "the current user"}
_FILTER_HELP = (
    "Filters: `field=value` (equal) or `field__op=value`, for every stored field and the system "
    "fields. Operators: `eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in` (comma-separated values), "
    "`contains` (text, case-insensitive; or a multi-choice or multi-reference field holding the "
    "value), `startswith` (text, case-insensitive), `isnull` (`true`/`false`). Filters follow "
    "references with a dot (`customer.city=...`) and all apply (AND). Pages are keyset "
    "cursors: pass `next_cursor` back as `cursor` with the same filters and sort.")
_ERROR_RESPONSES = {
    "400": ("BadRequest", "Malformed query string, JSON body or `If-Match`."),
    "401": ("Unauthorized", "Not signed in."), "403": ("Forbidden", "Not allowed."),
    "404": ("NotFound", "Unknown entity or record."),
    "409": ("Conflict", "The delete or restore is refused, or a unique value is taken."),
    "412": ("PreconditionFailed", "Stale `If-Match`: the record changed; nothing was done."),
    "422": ("UnprocessableEntity", "Invalid field values, in the request's language.")}
_SYSTEM = ("id", "created_at", "updated_at", "created_by", "updated_by", "version")
_SUCCESS = {"200": "OK.", "201": "Created.", "204": "Done; no content."}


class _Context(NamedTuple):
    catalog: Catalog
    names: dict[str, str]  # entity name -> its component schema's name
    lang: str


def build_openapi(catalog: Catalog, lang: str = "en", server_url: str = "/") -> dict:
    """The whole API of ``catalog`` as an OpenAPI 3.1 document, labels in ``lang``."""
    ctx = _Context(catalog, _schema_names(catalog), lang)
    schemas: dict[str, Schema] = {}
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
            "items": {"type": "array", "items": _ref(base)},
            "next_cursor": {"type": ["string", "null"],
                            "description": "Pass back as `cursor`; null on the last page."},
            "count": {"type": "integer", "description": "Matching records (`count=true`)."}}}
        tag = _unique(entity.label.get(lang), {t["name"] for t in tags}, f" ({entity.name})")
        tags.append({"name": tag, "description": entity.help.get(lang) or entity.plural.get(lang)})
        paths.update(_entity_paths(ctx, entity, tag, operation_ids))
    meta_tag = _unique("meta", {t["name"] for t in tags}, " (api)")
    tags.append({"name": meta_tag, "description": "Definitions, labels and customizations."})
    paths.update(_meta_paths(catalog, meta_tag, operation_ids))
    first = catalog.bundles[0] if catalog.bundles else None
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": (first.label.get(lang) or first.name) if first else "metacrm",
                 "version": ", ".join(f"{b.name} {b.version}" for b in catalog.bundles) or "0",
                 "description": "Generated from the loaded definitions (docs/api.md)."},
        "servers": [{"url": server_url}],
        "tags": tags,
        "paths": paths,
        "components": _components(schemas),
    }


def _unique(name: str, taken: set[str], suffix: str) -> str:
    while name in taken:  # only clashing definitions get here, so ugly but unique is fine
        name += suffix
    taken.add(name)
    return name


def _schema_names(catalog: Catalog) -> dict[str, str]:
    """``sales_order`` -> ``SalesOrder``; a clash with another name adds a trailing ``_``."""
    taken = set(_SHARED_SCHEMAS)
    names: dict[str, str] = {}
    for name in catalog.entities:
        base = "".join(part.capitalize() for part in name.split("_"))
        while any(base + s in taken for s in _SCHEMA_SUFFIXES):
            base += "_"
        taken.update(base + s for s in _SCHEMA_SUFFIXES)
        names[name] = base
    return names


def _ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _param(name: str, where: str, schema: Schema, description: str = "", **more: Any) -> Schema:
    return {"name": name, "in": where, "schema": schema, **more,
            **({"description": description} if description else {})}


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
    kind = field.value_type
    schema: Schema
    if kind in _TEXT_LENGTHS or kind == "text":
        schema = {"type": "string"}
        if field.max_length or kind in _TEXT_LENGTHS:
            schema["maxLength"] = field.max_length or _TEXT_LENGTHS[kind]
        if field.pattern:  # a definition's pattern must match the whole value
            schema["pattern"] = f"^(?:{field.pattern})$"
        if kind in ("email", "url"):
            schema["format"] = "email" if kind == "email" else "uri"
        if kind == "url":
            schema.setdefault("pattern", "^https?://")
    elif kind in _SIMPLE:
        schema = dict(_SIMPLE[kind])
    elif kind in _DECIMALS and output:
        # The digits after the point that fieldtypes.output_converter writes.
        scale = 2 if kind == "money" else field.scale if field.scale is not None else (
            2 if kind == "percent" else DEFAULT_DECIMAL_SCALE)
        schema = {"type": "string", "pattern": rf"^-?\d+\.\d{{{scale}}}$" if scale else r"^-?\d+$"}
    elif kind in _DECIMALS:  # numbers are accepted on input; minimum/maximum apply to them
        schema = {"type": ["string", "number"], "pattern": _NUMBER_TEXT}
    elif kind in ("choice", "multi_choice"):
        optionset = ctx.catalog.optionsets.get(field.options or "")
        schema = {"type": "string", "enum": list(optionset.values() if optionset else ())}
        if kind == "multi_choice":
            schema = {"type": "array", "items": schema}
        schema["x-optionset"] = field.options
    elif kind in ("reference", "user", "multi_reference"):  # ids, or records with ?expand=
        target = ctx.names.get(field.to or "") if kind != "user" else "User"
        # A $ref, never an inline copy: self- and mutual references stay finite.
        schema = {"oneOf": [{"type": "integer"}, _ref(target)]} if output and target else {
            "type": "integer"}
        if kind == "multi_reference":
            schema = {"type": "array", "items": schema}
    else:  # json, or a type added after this module: any JSON value
        schema = {}
    if kind == "integer" or (kind in _DECIMALS and not output):
        bounds = (field.min, field.max) if kind != "percent" else (
            0 if field.min is None else field.min, 100 if field.max is None else field.max)
        schema.update((key, value) for key, value in zip(
            ("minimum", "maximum"), bounds, strict=True) if value is not None)
    return schema


def _describe(ctx: _Context, schema: Schema, field: FieldDef, note: str = "") -> Schema:
    text = " ".join(t for t in (field.help.get(ctx.lang), note) if t)
    return dict(schema, title=field.label.get(ctx.lang), **({"description": text} if text else {}))


def _record_schema(ctx: _Context, entity: EntityDef) -> Schema:
    """A record as returned; only ``id`` is sure to be there (``?fields=`` selects)."""
    props: dict[str, Schema] = {"id": {"type": "integer", "format": "int64", "readOnly": True}}
    for field in entity.fields.values():
        schema = _value_schema(ctx, field, output=True)
        # A link table answers a list, an autonumber is always set; the rest may be empty.
        if not (field.required or field.type in ("multi_reference", "autonumber")):
            _nullable(schema)
        if not (field.writable or field.readonly):  # computed: autonumber, formula...
            schema["readOnly"] = True
        props[field.name] = _describe(ctx, schema, field)
    for name in ("created_at", "updated_at"):
        props[name] = {"type": "string", "format": "date-time", "readOnly": True}
    for name in ("created_by", "updated_by"):
        props[name] = {"oneOf": [{"type": "integer"}, _ref("User"), {"type": "null"}],
                       "readOnly": True}
    props["version"] = {"type": "integer", "readOnly": True,
                        "description": "Raised by every change; sent as the `ETag` header."}
    return {"type": "object", "title": entity.label.get(ctx.lang), "required": ["id"],
            "properties": props, **({"description": entity.help.get(ctx.lang)} if entity.help
                                    else {})}


def _input_schema(ctx: _Context, entity: EntityDef, create: bool) -> Schema:
    """The body of POST (``create``) or PATCH: writable fields only, nothing else."""
    props: dict[str, Schema] = {}
    required: list[str] = []
    for field in entity.fields.values():
        if not field.writable and not (create and field.readonly):  # computed, or set once
            continue
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


def _components(schemas: dict[str, Schema]) -> Schema:
    """Everything the paths share, around the entities' ``schemas``."""
    return {"schemas": {
        "Errors": {"type": "object", "required": ["errors"], "properties": {"errors": {
            "type": "object", "description": "Messages by field name, `_record` or `_request`.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}}}},
            "examples": [{"errors": {"grade": ["Must be one of: A, B, C, D."]}}]},
        "History": {"type": "object", "required": ["id", "action", "user_id", "at", "changes"],
                    "properties": {
            "id": {"type": "integer"}, "user_id": {"type": ["integer", "null"]},
            "action": {"enum": ["create", "update", "delete", "restore"]},
            "at": {"type": "string", "format": "date-time"}, "note": {"type": ["string", "null"]},
            "changes": {"type": "object", "description": "`{field: [old, new]}`",
                        "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2}}}},
        "User": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "integer"}, "username": {"type": "string"},
            "name": {"type": ["string", "null"]}, "email": {"type": ["string", "null"]}}},
        **schemas,
    }, "parameters": {
        "RecordId": _param("id", "path", {"type": "integer", "format": "int64"}, required=True),
        "Limit": _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                           "default": DEFAULT_LIMIT}, "Records per page."),
        "Cursor": _param("cursor", "query", {"type": "string"}, "The previous `next_cursor`."),
        "Count": _param("count", "query", {"type": "boolean"}, "Add the total as `count`."),
        "IfMatch": _param("If-Match", "header", {"type": "string"}, "The `ETag` last read "
                          "(`\"3\"`); a stale one is `412`. Without it the last writer wins."),
        "AcceptLanguage": _param("Accept-Language", "header", {"type": "string", "examples": [
            "en", "zh"]}, "Language of labels and messages (`en` or `zh`)."),
    }, "responses": {name: {"description": text, "content": _content(_ref("Errors"))}
                     for name, text in _ERROR_RESPONSES.values()},
        "headers": {"ETag": {"description": "The record's `version`, quoted (`\"3\"`).",
                             "schema": {"type": "string"}},
                    "Location": {"description": "The new URL.", "schema": {"type": "string"}}}}


def _content(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _body(schema: Schema) -> Schema:
    return {"required": True, "content": _content(schema)}


def _items(schema: Schema, **limits: int) -> Schema:
    return {"type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": schema, **limits}}}


def _params(*names: str) -> list[Schema]:
    return [_ref(name, "parameters") for name in names]


def _path(*parameters: str, **operations: Schema) -> Schema:
    return {"parameters": _params("AcceptLanguage", *parameters), **operations}


def _operation(op_id: str, tag: str, summary: str, code: str, schema: Schema | None,
               errors: str, taken: set[str], headers: tuple[str, ...] = (),
               **more: Any) -> Schema:
    answer: Schema = {"description": _SUCCESS[code]}
    if schema is not None:
        answer["content"] = _content(schema)
    if headers:
        answer["headers"] = {h: _ref(h, "headers") for h in headers}
    responses = {code: answer, **{status: _ref(_ERROR_RESPONSES[status][0], "responses")
                                  for status in sorted(errors.split())}}
    return {"operationId": _unique(op_id, taken, "_"), "tags": [tag], "summary": summary,
            **more, "responses": responses}


def _shape_parameters(entity: EntityDef) -> list[Schema]:
    """``fields`` and ``expand``: taken by lists and by GET of one record."""
    refs = [f.name for f in entity.fields.values()
            if f.type in ("reference", "user", "multi_reference")]
    return [_param("fields", "query", {"type": "array", "items": {"type": "string", "enum": [
        *_SYSTEM, *entity.fields]}}, "Only these fields (and `id`).", style="form", explode=False),
        _param("expand", "query", {"type": "array", "items": {"type": "string"}}, "Records "
               f"instead of ids; `a.b` goes deeper. References: {', '.join(refs) or 'none'}, "
               "`created_by`, `updated_by`.", style="form", explode=False)]


def _list_parameters(ctx: _Context, entity: EntityDef, sort: tuple[str, ...]) -> list[Schema]:
    params = [*_params("Limit", "Cursor"), _param(
        "sort", "query", {"type": "string"}, "Comma-separated fields, a leading `-` for "
        f"descending (`id` is added last); default `{','.join(sort)}`."), _param(
        "q", "query", {"type": "string"}, f"Text search in: {', '.join(entity.search) or '-'}."),
        *_shape_parameters(entity), *_params("Count")]
    params += [_param(name, "query", dict(_SIMPLE["datetime"]) if name[-3:] == "_at" else {
        "type": "integer"}) for name in _SYSTEM]
    params += [_param(f.name, "query", _filter_schema(ctx, f), f"{f.label.get(ctx.lang)} equals "
                      f"this (other operators: `{f.name}__<op>`).")
               for f in entity.fields.values() if f.stored]
    return params


def _filter_schema(ctx: _Context, field: FieldDef) -> Schema:
    """The value of ``field=`` in a query string: one plain value, never null."""
    kind = field.value_type
    if kind in ("choice", "multi_choice"):
        schema = _value_schema(ctx, field, output=False)
        return schema["items"] if kind == "multi_choice" else schema
    if kind in _DECIMALS:
        return {"type": "string", "pattern": _NUMBER_TEXT}
    if kind in ("boolean", "date", "datetime"):
        return dict(_SIMPLE[kind])
    return {"type": "integer"} if kind in ("integer", "reference", "user") else {"type": "string"}


def _entity_paths(ctx: _Context, entity: EntityDef, tag: str, taken: set[str]) -> dict:
    name, base = entity.name, ctx.names[entity.name]

    def op(verb: str, summary: str, code: str, schema: Schema | None, errors: str,
           *headers: str, **more: Any) -> Schema:
        return _operation(f"{verb}_{name}", tag, summary, code, schema,
                          "401 403 " + errors, taken, headers, **more)

    def listing(verb: str, summary: str, sort: tuple[str, ...]) -> Schema:
        return op(verb, summary, "200", _ref(base + "List"), "400", description=_FILTER_HELP,
                  parameters=_list_parameters(ctx, entity, sort))

    bulk = dict(_items(_ref(base + "Create"), minItems=1, maxItems=MAX_BULK),
                additionalProperties=False)
    return {
        f"/api/{name}": _path(
            get=listing("list", f"List {name} records", entity.default_sort),
            post=op("create", f"Create one {name}", "201", _ref(base), "400 409 422",
                    "Location", "ETag", requestBody=_body(_ref(base + "Create")))),
        f"/api/{name}/bulk": _path(post=op(
            "bulk_create", f"Create many {name} records, all or nothing", "201",
            _items(_ref(base)), "400 409 422", requestBody=_body(bulk))),
        f"/api/{name}/deleted": _path(get=listing(
            "list_deleted", f"List the recycle bin of {name}", ("-deleted_at",))),
        f"/api/{name}/{{id}}": _path(
            "RecordId", get=op("get", f"Get one {name}", "200", _ref(base), "400 404", "ETag",
                               parameters=_shape_parameters(entity)),
            patch=op("update", f"Change one {name}", "200", _ref(base), "400 404 409 412 422",
                     "ETag", parameters=_params("IfMatch"),
                     requestBody=_body(_ref(base + "Update"))),
            delete=op("delete", f"Move one {name} (and its cascade references) to the "
                      "recycle bin", "204", None, "400 404 409 412",
                      parameters=_params("IfMatch"))),
        f"/api/{name}/{{id}}/restore": _path("RecordId", post=op(
            "restore", f"Restore one {name} from the recycle bin", "200", _ref(base), "404 409",
            "ETag")),
        f"/api/{name}/{{id}}/history": _path("RecordId", get=op(
            "history", f"Audit trail of one {name}, newest first", "200", _items(_ref("History")),
            "404")),
    }


def _meta_paths(catalog: Catalog, tag: str, taken: set[str]) -> dict:
    def op(op_id: str, summary: str, errors: str, code: str = "200", **more: Any) -> Schema:
        return _operation(op_id, tag, summary, code, {"type": "object"}, errors, taken, **more)

    def named(what: str, examples: list[str], **operations: Schema) -> Schema:
        return {"parameters": [*_params("AcceptLanguage"), _param(
            "name", "path", {"type": "string", "examples": examples[:3]}, f"The {what}'s name.",
            required=True)], **operations}

    example = {"extend": "customer", "fields": {"wechat": {"type": "string"}}}
    return {
        "/api/meta/entities": _path(get=op("meta_list_entities", "The entities", "401 403")),
        "/api/meta/entities/{name}": named("entity", list(catalog.entities), get=op(
            "meta_get_entity", "One entity: fields, types, options, labels", "401 403 404")),
        "/api/meta/optionsets/{name}": named("option set", list(catalog.optionsets), get=op(
            "meta_get_optionset", "One option set", "401 403 404")),
        "/api/meta/customizations": _path(
            get=op("meta_list_customizations", "The runtime customizations", "401 403"),
            post=op("meta_create_customization", "Add fields or options while the server runs",
                    "400 401 403 409 422", "201", description="An `extend` or `extend_optionset` "
                    "document, validated like a YAML one; the table is migrated online.",
                    requestBody=_body({"type": "object", "examples": [example]}))),
        "/api/openapi.json": {"get": op("meta_get_openapi", "This document (OpenAPI 3.1)", "")},
    }
