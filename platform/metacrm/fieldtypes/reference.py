"""reference: the id of a record of the entity ``to`` names (a foreign key); what
happens when that record is deleted is ``on_delete``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import fields

from ..expressions.boundary import integer_out, value_in
from .base import ORDERED_OPERATORS, FieldType, SchemaEnv
from .common import (
    ExactInteger,
    cell_number,
    common_options,
    definition_literal,
    noun_of,
    plain_text,
    record_id,
)
from .form_values import id_text, read_integer
from .number_schemas import ID_SCHEMA, INT64_SCHEMA
from .numbers import parse_integer
from .storage import ID_TYPE

if TYPE_CHECKING:
    from ..definitions import FieldDef


def id_payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
    return ExactInteger(validate=record_id(lang), **common_options("id", lang))


def id_schema(field: FieldDef, output: bool, env: SchemaEnv) -> dict[str, Any]:
    """An id; in output also the record itself (``?expand=``), by $ref so that self-
    and mutual references stay finite."""
    if output and env.target is not None:
        return {"oneOf": [{"type": "integer"}, env.target]}
    return dict(ID_SCHEMA)


def id_type(name: str, *, keys: frozenset[str], references: str, widget: str,
            noun: Mapping[str, str] | None = None, macros: tuple[str, ...] = ()) -> FieldType:
    return FieldType(
        name=name, noun=noun or noun_of(name), keys=keys, column=lambda field: ID_TYPE,
        payload=id_payload, parse=parse_integer, output=lambda field: None,
        expression_type="int", to_expression=value_in,
        to_field=lambda value, field: integer_out(value, field.rounding),
        operators=ORDERED_OPERATORS, ordering="value", schema=id_schema,
        filter_schema=lambda field, env: dict(INT64_SCHEMA), widget=widget,
        list_text=plain_text, read_cell=cell_number(parse_integer), references=references,
        read_literal=definition_literal("integer"),
        macros=macros, read_form=read_integer, form_text=id_text,
    )


def reference_type() -> FieldType:
    return id_type("reference", keys=frozenset(("to", "on_delete")), references="record",
                   widget="reference")
