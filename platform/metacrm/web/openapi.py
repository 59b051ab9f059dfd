"""Describe the REST API of a catalog as an OpenAPI 3.1 document: the entities'
schemas and record paths (their workflows in openapi_workflows.py, the platform's own
paths in openapi_platform.py and openapi_approvals.py)."""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from ..definitions import Catalog, EntityDef, FieldDef
from ..fieldtypes import DEFAULT_STRING_LENGTH, decimal_scale, numeric_shape
from ..identity.password_policy import DEFAULT_MIN_LENGTH
from .openapi_approvals import approval_paths, approval_schemas
from .openapi_parts import (
    ID_SCHEMA,
    INT64,
    SECURITY,
    Schema,
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
from .openapi_platform import entity_extra_paths, platform_paths, platform_schemas
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
# Lengths of the columns behind text types without max_length (see fieldtypes.py).
_TEXT_LENGTHS = {"string": DEFAULT_STRING_LENGTH, "email": 254, "phone": 40, "url": 2048}
_DECIMALS = ("decimal", "money", "percent")
_SIMPLE: dict[str, Schema] = {
    "integer": INT64, "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"}, "autonumber": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"}}
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
# The export's own parameter; a filter on a field of that name cannot be sent to it.
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
                                  **approval_schemas()}
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
        if entity.name in flows:
            paths.update(flow_paths(flows[entity.name], entity, base, tag, lang, operation_ids))
    paths.update(platform_paths(catalog, tags, operation_ids))
    paths.update(approval_paths(tags, operation_ids))
    first = catalog.bundles[0] if catalog.bundles else None
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": (first.label.get(lang) or first.name) if first else "metacrm",
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
        scale = decimal_scale(field)
        schema = {"type": "string", "pattern": rf"^-?\d+\.\d{{{scale}}}$" if scale else r"^-?\d+$"}
    elif kind in _DECIMALS:
        schema = _decimal_input(field)
    elif kind in ("choice", "multi_choice"):
        optionset = ctx.catalog.optionsets.get(field.options or "")
        schema = {"type": "string", "enum": list(optionset.values() if optionset else ())}
        if kind == "multi_choice":
            schema = {"type": "array", "items": schema}
        schema["x-optionset"] = field.options
    elif kind in ("reference", "user", "multi_reference"):  # ids, or records with ?expand=
        target = ctx.names.get(field.to or "") if kind != "user" else "User"
        # A $ref, never an inline copy: self- and mutual references stay finite.
        schema = {"oneOf": [{"type": "integer"}, ref(target)]} if output and target else dict(
            ID_SCHEMA)
        if kind == "multi_reference":
            schema = {"type": "array", "items": schema}
    else:  # json, or a type added after this module: any JSON value
        schema = {}
    if kind == "integer":
        schema = dict(schema)  # _SIMPLE's is shared
        _narrow(schema, field.min, field.max)
    return schema


def _narrow(schema: Schema, low: Any, high: Any) -> None:
    """The field's own ``min``/``max`` where they are tighter than the type's."""
    if low is not None and ("minimum" not in schema or low > schema["minimum"]):
        schema["minimum"] = low
    if high is not None and ("maximum" not in schema or high < schema["maximum"]):
        schema["maximum"] = high


def _bounds(field: FieldDef) -> tuple[Any, Any]:
    """A decimal field's declared ``min`` and ``max``; a percent's are 0 and 100 unless
    it says otherwise (compile/payloads.py)."""
    if field.value_type != "percent":
        return field.min, field.max
    return (0 if field.min is None else field.min, 100 if field.max is None else field.max)


def _digits_pattern(field: FieldDef, bounded: bool = True) -> str:
    """The text a decimal field takes (values.parse_decimal_text, then the column's
    digits: compile/payloads.py): digits, a point and digits; at most the column's
    digits before the point (leading zeros aside) and its scale after it (trailing
    zeros aside); a minus sign only where the minimum allows one."""
    precision, scale = numeric_shape(field)
    low, high = _bounds(field) if bounded else (None, None)  # a filter may compare with any
    if (low, high) == (0, 100):  # a percent's default range, to its scale
        return rf"^0*([0-9]{{1,2}}(\.[0-9]{{1,{scale}}}0*)?|100(\.0+)?)$"
    sign = "" if low is not None and low >= 0 else "-?"
    fraction = rf"(\.[0-9]{{1,{scale}}}0*)?" if scale else r"(\.0+)?"
    return rf"^{sign}0*[0-9]{{1,{precision - scale}}}{fraction}$"


def _double_within(limit: Decimal) -> float | int:
    """The largest binary double not above ``limit`` (positive): a validator reads the
    document's numbers as doubles, and 9999999999999999.99 read so is 1e16, which the
    column does not hold."""
    double = float(limit)
    if Decimal(double) > limit:
        double = math.nextafter(double, 0.0)
    return int(double) if double.is_integer() else double


def _decimal_input(field: FieldDef) -> Schema:
    """A decimal, money or percent value as a body takes it: a JSON number, read from
    its digits (never through a binary float), or a string of digits. ``minimum``,
    ``maximum`` and ``multipleOf`` apply to numbers; a string is held to the same
    limits by the server, and to the digits its pattern says by the document."""
    precision, scale = numeric_shape(field)
    largest = (Decimal(10) ** precision - 1).scaleb(-scale)
    low, high = _bounds(field)
    number: Schema = {"type": "number", "minimum": -_double_within(largest),
                      "maximum": _double_within(largest)}
    if scale:
        number["multipleOf"] = 10**-scale
    else:
        number["type"] = "integer"
    _narrow(number, low, high)
    limits = [f"{name} {number[key]}" for key, name in (("minimum", "at least"),
                                                         ("maximum", "at most"))]
    return {"anyOf": [number, {
        "type": "string", "pattern": _digits_pattern(field), "description": "The digits "
        f"as text: the same limits apply ({', '.join(limits)}; {scale} digits after the "
        "point)."}]}


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
        found = [param(_EXPORT_FORMAT, "query", {"type": "string", "enum": ["csv", "json"],
                                                 "default": "csv"},
                       "`csv` (UTF-8 with a byte order mark) or `json` (JSON lines)."),
                 *ordering, *_shape_parameters(entity, expand=False)]
    else:
        found = [*params("Limit", "Cursor"), *ordering, *_shape_parameters(entity),
                 *params("Count")]
    found += [param(name, "query", dict(_SIMPLE["datetime"]) if name[-3:] == "_at" else dict(
        INT64)) for name in _SYSTEM]
    found += [param(f.name, "query", _filter_schema(ctx, f), f"{f.label.get(ctx.lang)} equals "
                    f"this (other operators: `{f.name}__<op>`).")
              for f in entity.fields.values()
              if f.stored and not (export and f.name == _EXPORT_FORMAT)]
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
    kind = field.value_type
    if kind in ("choice", "multi_choice"):
        schema = _value_schema(ctx, field, output=False)
        return schema["items"] if kind == "multi_choice" else schema
    if kind in _DECIMALS:  # the digits the column holds (runtime/query.py); any sign
        return {"type": "string", "pattern": _digits_pattern(field, bounded=False)}
    if kind in ("boolean", "date", "datetime", "integer"):
        return dict(_SIMPLE[kind])
    return dict(INT64) if kind in ("reference", "user") else {"type": "string"}


def _entity_paths(ctx: _Context, entity: EntityDef, tag: str, taken: set[str]) -> dict:
    name, base = entity.name, ctx.names[entity.name]

    def op(verb: str, summary: str, code: str, schema: Schema | None, errors: str,
           *headers: str, **more: Any) -> Schema:
        return operation(f"{verb}_{name}", tag, summary, code, schema,
                         "401 403 " + errors, taken, headers, **more)

    def listing(verb: str, summary: str, sort: tuple[str, ...]) -> Schema:
        return op(verb, summary, "200", ref(base + "List"), "400", description=_FILTER_HELP,
                  parameters=_list_parameters(ctx, entity, sort))

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
            "list_deleted", f"List the recycle bin of {name}", ("-deleted_at",))),
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
