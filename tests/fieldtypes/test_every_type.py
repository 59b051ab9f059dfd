"""Every registered field type, built in or from a plugin, answers every question the
engine, the API, the coming UI and import ask of a type: adding a type means adding
one module, and this test says when it forgot an answer."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from typing import Any

import pytest
import sqlalchemy as sa
from marshmallow import fields

from metacrm.definitions import NO_TEXT, FieldDef
from metacrm.fieldtypes import COMMON_KEYS, FieldType, SchemaEnv, builtin_field_types
from metacrm.fieldtypes.base import ALL_OPERATORS, LIST_CELLS, ORDERINGS
from metacrm.plugins import field_types_of, load_plugins

PLUGIN = "plugins.cn_id_card:plugin"
TYPES = field_types_of(load_plugins([PLUGIN]))
# A value of each type as a filter writes it. A new type adds its own here.
SAMPLES = {
    "string": "Acme", "text": "two\nlines", "integer": "42", "decimal": "12.3456",
    "money": "1234.5", "percent": "12.5", "boolean": "true", "date": "2026-03-01",
    "datetime": "2026-03-01T08:30:00+08:00", "choice": "b", "multi_choice": "b",
    "reference": "7", "multi_reference": "7", "user": "3", "email": "li.na@example.com",
    "phone": "+86 10 1234 5678", "url": "https://example.com/a", "json": "free text",
    "autonumber": "Q-000001", "formula": "2.5", "rollup": "2.5",
    "cn_id_card": "11010519491231002X",
}
# A cell as a spreadsheet holds it, where it differs from the filter's text.
CELLS = {"json": json.dumps("free text"), "integer": 42.0, "money": 1234.5,
         "date": "2026-03-01"}
OPTIONS = ("a", "b")
# The keys a field may have at all (the definitions' JSON Schema).
SCHEMA = json.loads(resources.files("metacrm").joinpath("schemas/definitions.schema.json")
                    .read_text())
DEFINITION_KEYS = set(SCHEMA["$defs"]["field"]["properties"])


def sample_field(kind: str) -> FieldDef:
    return FieldDef(name="x", type=kind, label=NO_TEXT,
                    options="x_set" if kind in ("choice", "multi_choice") else None,
                    to="target" if kind in ("reference", "multi_reference") else None,
                    format="Q-{seq:06}" if kind == "autonumber" else None,
                    expression="1.0" if kind == "formula" else None,
                    result="decimal" if kind in ("formula", "rollup") else None)


def test_the_plugin_type_is_registered_after_the_built_in_ones() -> None:
    assert TYPES.names == (*builtin_field_types().names, "cn_id_card")
    assert "cn_id_card" not in builtin_field_types()


def test_the_definitions_schema_lists_the_built_in_types_in_registry_order() -> None:
    # Editors read the schema file; the loader puts the platform's registry in its place.
    assert SCHEMA["$defs"]["field"]["properties"]["type"]["enum"] == list(
        builtin_field_types().names)


def test_each_platform_builds_its_own_registry() -> None:
    assert builtin_field_types() is not builtin_field_types()
    with pytest.raises(ValueError, match="two field types are named 'money'"):
        builtin_field_types().with_types([builtin_field_types()["money"]])


def test_a_type_must_say_how_a_list_lays_out_its_cells() -> None:
    wrapped = replace(builtin_field_types()["string"], name="slug", list_cell="centre")
    with pytest.raises(ValueError, match="'slug': list_cell is 'centre', not one of number"):
        builtin_field_types().with_types([wrapped])


@pytest.mark.parametrize("name", TYPES.names)
def test_every_type_answers_every_question(name: str) -> None:
    assert name in SAMPLES, f"add a sample value of '{name}' to SAMPLES"
    declared = TYPES[name]
    assert isinstance(declared, FieldType) and declared.name == name
    # Definition keys: only keys a field may have, none of the common ones again.
    assert declared.keys <= DEFINITION_KEYS - COMMON_KEYS
    assert declared.noun["en"]
    field = sample_field(name)
    kind = TYPES.of(field)  # a formula or rollup answers as its result (decimal here)
    assert kind.derived is False
    assert declared.computed == field.computed

    # The column, and what a request body reads.
    column = kind.column(field)
    assert (column is None) == (not field.stored)
    assert column is None or isinstance(column, sa.types.TypeEngine)
    for lang in ("en", "zh"):
        assert isinstance(kind.payload(field, lang, OPTIONS), fields.Field)

    # Text to value; the value as JSON, read back by the body; and through CEL.
    item = kind.parse(SAMPLES[name])
    value = [item] if kind.item_type else item
    convert = kind.output(field)
    as_json = convert(value) if convert else value
    loaded = kind.payload(field, "en", OPTIONS).deserialize(as_json)
    assert loaded == value
    assert kind.to_field(kind.to_expression(value), field) == value
    assert isinstance(kind.expression_type, str) and kind.expression_type

    # Filters and sorting.
    assert set(kind.operators) <= set(ALL_OPERATORS) and "isnull" in kind.operators
    assert kind.ordering in ORDERINGS

    # OpenAPI, on the way out and in, and in a query string.
    env = SchemaEnv(options=OPTIONS, target={"$ref": "#/components/schemas/Target"})
    for output in (True, False):
        assert isinstance(kind.schema(field, output, env), dict)
    assert isinstance(kind.filter_schema(field, env), dict)

    # The UI and import.
    assert isinstance(kind.widget, str) and kind.widget
    text = kind.list_text(value, field)
    assert isinstance(text, str) and text
    assert kind.list_text(None, field) == ""
    assert kind.list_cell in LIST_CELLS
    cell: Any = CELLS.get(name, SAMPLES[name])
    assert kind.read_cell(cell, field) == value

