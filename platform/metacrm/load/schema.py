"""Check raw YAML documents against the JSON Schema of their kind.

jsonschema's errors are translated into messages a person can act on, placed
at the exact key or value (via the document's recorded positions), with
spelling suggestions for unknown keys and values.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from ..errors import ErrorCollector, did_you_mean
from .documents import Document

# Unknown keys of one mapping that get a did-you-mean.
MAX_HINTED_KEYS = 5
DEFINITION_KINDS = ("entity", "optionset", "extend", "extend_optionset", "role",
                    "extend_role", "workflow", "approval", "form", "report", "intake",
                    "dashboard")
MANIFEST = "manifest"

_TYPE_NAMES = {
    "string": "a text", "integer": "a whole number", "number": "a number",
    "boolean": "true or false", "object": "a mapping", "array": "a list", "null": "empty",
}


@cache
def _schema_document() -> dict[str, Any]:
    text = resources.files("metacrm").joinpath("schemas/definitions.schema.json").read_text()
    return json.loads(text)


@cache
def _validator(kind: str, field_types: tuple[str, ...] | None = None
               ) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_inlined(kind, field_types))


@cache
def _inlined(kind: str, field_types: tuple[str, ...] | None) -> dict[str, Any]:
    # The schema has no recursion, so every $ref can be inlined once: resolving
    # references is most of what jsonschema spends its time on.
    defs = _with_field_types(_schema_document()["$defs"], field_types)
    inlined: dict[str, Any] = _inline(defs[kind], defs)
    return inlined


def _with_field_types(defs: dict[str, Any], field_types: tuple[str, ...] | None
                      ) -> dict[str, Any]:
    """The definitions with a field's ``type`` one of ``field_types`` (the platform's
    registry, plugins' types included) instead of the built-in list."""
    if field_types is None:
        return defs
    field = dict(defs["field"])
    field["properties"] = dict(field["properties"], type={"enum": list(field_types)})
    return dict(defs, field=field)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    inlined = {key: _inline(value, defs) for key, value in node.items() if key != "$ref"}
    if "$ref" in node:
        target = _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        clash = set(target) & set(inlined)
        if clash:
            return {"allOf": [target, inlined]}
        inlined = {**target, **inlined}
    return inlined


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind, self-contained (for editors and the API)."""
    return {"$defs": _schema_document()["$defs"], "$ref": f"#/$defs/{kind}"}


def document_kind(doc: Document, errors: ErrorCollector) -> str | None:
    if not isinstance(doc.data, dict) or not doc.data:
        errors.add(doc.at(), "a definition must be a mapping that starts with one of: "
                   + ", ".join(DEFINITION_KINDS))
        return None
    kinds = [k for k in doc.data if k in DEFINITION_KINDS]
    if len(kinds) == 1:
        return kinds[0]
    # A workflow names its entity with `entity:`: the kind is the one whose schema
    # takes the other kind words as its own keys.
    owners = [k for k in kinds if set(kinds) - {k} <= set(
        _schema_document()["$defs"][k].get("properties", {}))]
    if len(owners) == 1:
        return owners[0]
    if not kinds:
        first = next(iter(doc.data))
        errors.add(doc.key_at(first), f"unknown kind of definition '{first}'"
                   f"{did_you_mean(str(first), DEFINITION_KINDS)}; a definition starts with "
                   "one of: " + ", ".join(DEFINITION_KINDS))
    else:
        errors.add(doc.key_at(kinds[1]), f"one document defines one thing: found both "
                   f"'{kinds[0]}' and '{kinds[1]}' (separate documents with ---)")
    return None


@cache
def _fast_check(kind: str, field_types: tuple[str, ...] | None = None) -> Callable[[Any], Any]:
    # Compiled to Python code: ~2x faster on valid documents, which is nearly
    # all of them. jsonschema stays the judge whenever a document fails, for
    # its complete, positioned error reports.
    schema = dict(_inlined(kind, field_types),
                  **{"$schema": "http://json-schema.org/draft-07/schema#"})
    return fastjsonschema.compile(schema)


def validate_document(doc: Document, kind: str, errors: ErrorCollector,
                      field_types: tuple[str, ...] | None = None) -> bool:
    """Collect every schema violation of ``doc``; True when there is none. A field's
    type is one of ``field_types`` (default: the built-in types)."""
    try:
        _fast_check(kind, field_types)(doc.data)
        return True
    except fastjsonschema.JsonSchemaException:
        pass
    found = sorted(_validator(kind, field_types).iter_errors(doc.data),
                   key=lambda e: list(map(str, e.absolute_path)))
    misspelt = _misspelt_keys(found)
    for error in found:
        if error.validator == "required" and (tuple(error.absolute_path),
                                              _missing_key(error)) in misspelt:
            continue  # the unknown key's "did you mean" says it
        _report(doc, error, errors)
    return not found


def _missing_key(error: ValidationError) -> str:
    return error.message.split("'")[1] if "'" in error.message else error.message


def _misspelt_keys(found: list[ValidationError]) -> set[tuple[tuple[Any, ...], str]]:
    """(path, key) of the required keys an object lacks because an unknown key of it
    is their misspelling (``approver:`` for ``approvers:``): one mistake, one error."""
    misspelt = set()
    for error in found:
        if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
            continue
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        allowed = list(schema.get("properties", {}))
        for key in list(error.instance)[:MAX_HINTED_KEYS]:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                if close:
                    misspelt.add((tuple(error.absolute_path), close[0]))
    return misspelt


def _comma_hint(instance: Mapping[str, Any], key: str, listing: str) -> str:
    """{en: Plans, patients and approvals}: YAML's flow mapping ends a value at the
    comma and reads the rest as a key; say how the text was meant."""
    keys = list(instance)
    before = keys[keys.index(key) - 1] if keys.index(key) > 0 else None
    if before is None or not isinstance(instance[before], str):
        return ""
    return (f"{listing}; a text with a comma inside {{…}} needs quotes: "
            f"{before}: \"{instance[before]}, {key}\"")


def _report(doc: Document, error: ValidationError, errors: ErrorCollector) -> None:
    if error.validator in ("anyOf", "oneOf") and error.context:
        _report(doc, _deepest(error), errors)
        return
    path = tuple(error.absolute_path)
    where = _dotted(path, doc.data)
    prefix = f"{where}: " if where else ""
    validator = error.validator
    # What the failed keyword asked for: jsonschema sets it on every error it reports
    # (a list for enum and for a choice of types).
    rule = error.validator_value
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        allowed = list(schema.get("properties", {}))
        listing = "; allowed: " + ", ".join(allowed) if allowed else ""
        unknown = (key for key in error.instance if key not in allowed)
        for index, key in enumerate(unknown):
            # A spelling hint costs a difflib pass: the first few keys of an object get one.
            hint = did_you_mean(str(key), allowed) if index < MAX_HINTED_KEYS else ""
            if not hint and " " in str(key) and "en" in allowed:
                hint = _comma_hint(error.instance, str(key), listing)
            errors.add(doc.key_at(*path, key), f"{prefix}unknown key '{key}'{hint or listing}")
        return
    if _is_key_error(doc, path, error):
        # propertyNames checks report the parent's path; point at the key.
        errors.add(doc.key_at(*path, error.instance),
                   f"{prefix}'{error.instance}' is not a valid name: use snake_case "
                   "(a lower-case letter, then lower-case letters, digits, single underscores; "
                   "at most 40 characters)")
        return
    location = doc.at(*path)
    if validator == "enum":
        choices = [str(c) for c in rule] if isinstance(rule, list) else []
        noun = "field type" if path and path[-1] == "type" else "value"
        errors.add(location, f"{prefix}unknown {noun} '{error.instance}'"
                   f"{did_you_mean(str(error.instance), choices)}; expected one of: "
                   + ", ".join(choices))
    elif validator == "required":
        missing = _missing_key(error)
        errors.add(location, f"{prefix}missing key '{missing}'{_required_reason(error, doc, path)}")
    elif validator == "type":
        names = [rule] if isinstance(rule, str) else list(rule) if isinstance(rule, list) else []
        errors.add(location, f"{prefix}expected {' or '.join(_TYPE_NAMES.get(n, n) for n in names)}"
                   f", got {error.instance!r}")
    elif validator == "pattern" and _pattern_hint(path):
        errors.add(location, f"{prefix}{_pattern_hint(path)}, got {error.instance!r}")
    elif validator == "pattern" and path and path[-1] == "format":
        errors.add(location, f"{prefix}an autonumber format needs a counter such as "
                   f"'{{seq}}' or '{{seq:06}}', got {error.instance!r}")
    elif validator == "pattern" and path and path[-1] in (
            "entity", "optionset", "extend", "to", "bundle", "extend_optionset", "role",
            "extend_role", "owned_by", "assigned_at", "returned_at", "through", "workflow",
            "approval", "field", "reject_to", "form"):
        errors.add(location, f"{prefix}'{error.instance}' is not a valid name: use snake_case "
                   "(a lower-case letter, then lower-case letters, digits, single underscores)")
    else:
        errors.add(location, f"{prefix}{error.message}")


_PATTERN_HINTS = {
    "every": "expected a duration such as 30m, 1h or 1d",
    "remind_after": "expected a duration such as 30m, 4h or 2d",
    "escalate_after": "expected a duration such as 30m, 4h or 2d",
    "hook": "expected '<plugin>.<hook>', such as 'erp.push_contract'",

    "team": "expected a team code: lower-case letters, digits, '-' and single '_'",
    "operations": "expected a list of operations, or 'all'",
    "via": "expected a reference field in snake_case, or a chain of up to three such as "
           "'contract.customer'",
}


def _pattern_hint(path: tuple[Any, ...]) -> str | None:
    if "notify" in path and "to" in path:
        return "expected owner, submitter, role:<role> or field:<user field>"
    return _PATTERN_HINTS.get(path[-1]) if path else None


def _is_key_error(doc: Document, path: tuple[Any, ...], error: ValidationError) -> bool:
    if error.validator not in ("pattern", "maxLength") or not isinstance(error.instance, str):
        return False
    value: Any = doc.data
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(value, dict) and error.instance in value


def _required_reason(error: ValidationError, doc: Document, path: tuple[Any, ...]) -> str:
    if isinstance(error.instance, dict) and "type" in error.instance and "fields" in path:
        return f" (a {error.instance['type']} field needs it)"
    return ""


def _deepest(error: ValidationError) -> ValidationError:
    """Of the alternatives of an anyOf, the error that got furthest."""
    # An alternative that failed only on its own type is less telling than one
    # that matched the type and failed inside.
    inner = [e for e in error.context if e.validator != "type"] or list(error.context)
    return best_match(inner)


def _dotted(path: tuple[Any, ...], data: Any) -> str:
    """``steps[0] (manager).approvers``: a list item that has a name is called by it
    too, so that an error in the fifth step says which step."""
    parts: list[str] = []
    for step in path:
        try:
            data = data[step]
        except (LookupError, TypeError):
            data = None
        if not isinstance(step, int):
            parts.append(f".{step}" if parts else str(step))
            continue
        name = data.get("name") if isinstance(data, Mapping) else None
        parts.append(f"[{step}] ({name})" if isinstance(name, str) else f"[{step}]")
    return "".join(parts)
