"""multi_reference: ids of records of the entity ``to`` names, kept in a link table
(so it has no column of its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import fields

from ..expressions.boundary import id_list_out, value_in
from .base import LIST_OPERATORS, FieldType, SchemaEnv
from .common import ExactInteger, common_options, noun_of, record_id
from .form_values import ids_text, read_ids
from .multi_choice import split_cell
from .numbers import parse_integer
from .reference import id_schema

if TYPE_CHECKING:
    from ..definitions import FieldDef


def _payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
    item = ExactInteger(validate=record_id(lang), **common_options("id", lang))
    return fields.List(item, **common_options("list", lang))


def _schema(field: FieldDef, output: bool, env: SchemaEnv) -> dict[str, Any]:
    return {"type": "array", "items": id_schema(field, output, env)}


def multi_reference_type() -> FieldType:
    return FieldType(
        name="multi_reference", noun=noun_of("multi_reference"), keys=frozenset(("to",)),
        column=lambda field: None, payload=_payload, parse=parse_integer,
        output=lambda field: None, expression_type="list<int>", to_expression=value_in,
        to_field=lambda value, field: id_list_out(value), operators=LIST_OPERATORS,
        ordering="none", schema=_schema, filter_schema=lambda field, env: {"type": "string"},
        widget="references", list_text=lambda value, field: ", ".join(map(str, value or ())),
        read_cell=lambda cell, field: [parse_integer(p) for p in split_cell(cell)],
        read_literal=lambda value: value, stored=False, references="record",
        item_type="integer", read_form=read_ids, form_text=ids_text,
    )
