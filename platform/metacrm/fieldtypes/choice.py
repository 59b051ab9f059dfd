"""choice: one value of an option set; lists sort by the set's order, not the text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from marshmallow import fields, validate

from ..expressions.boundary import value_in
from ..i18n import message
from .base import TEXT_OPERATORS, FieldType, SchemaEnv
from .common import cell_text, common_options, noun_of, plain_text
from .texts import same_text, text_out_of

if TYPE_CHECKING:
    from ..definitions import FieldDef


def one_of(options: tuple[str, ...], lang: str) -> Any:
    values = list(options)
    return validate.OneOf(values, error=message("one_of", lang, choices=", ".join(values)))


def option_schema(field: FieldDef, env: SchemaEnv) -> dict[str, Any]:
    return {"type": "string", "enum": list(env.options)}


def _payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
    return fields.String(validate=one_of(options, lang), **common_options("choice", lang))


def _schema(field: FieldDef, output: bool, env: SchemaEnv) -> dict[str, Any]:
    return {**option_schema(field, env), "x-optionset": field.options}


def choice_type() -> FieldType:
    return FieldType(
        name="choice", noun=noun_of("choice"), keys=frozenset(("options",)),
        column=lambda field: sa.String(60), payload=_payload, parse=same_text,
        output=lambda field: None, expression_type="string", to_expression=value_in,
        to_field=text_out_of, operators=TEXT_OPERATORS, ordering="options", schema=_schema,
        filter_schema=lambda field, env: _schema(field, False, env), widget="select",
        list_text=plain_text, read_cell=cell_text(same_text),
    )
