"""What the text types (string, text, email, phone, url, autonumber) share: a text
column, the text operators, and a body field with the length and pattern checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from marshmallow import fields

from ..expressions.boundary import text_out, value_in
from .base import TEXT_OPERATORS, FieldType, SchemaEnv
from .common import cell_text, common_options, noun_of, plain_text, text_checks, text_schema

if TYPE_CHECKING:
    from ..definitions import FieldDef

TEXT_KEYS = frozenset(("max_length", "pattern", "clean"))


def same_text(raw: str) -> str:
    """Text as it is: any text is a value of a text type."""
    return raw


def text_out_of(value: Any, field: FieldDef) -> Any:
    return text_out(value, field.rounding)


def text_kind(name: str, *, length: int | None,
              column: Callable[[FieldDef], sa.types.TypeEngine] | None = None,
              payload_field: Callable[..., fields.Field] = fields.String,
              extra_checks: Callable[[str], list[Any]] = lambda lang: [],
              messages: Callable[[str], dict[str, str]] = lambda lang: {},
              schema_extra: Mapping[str, Any] | None = None,
              widget: str = "text", keys: frozenset[str] = TEXT_KEYS,
              body_limit: int | None = None, message_kind: str = "string",
              schema: Callable[[FieldDef, bool, SchemaEnv], dict[str, Any]] | None = None,
              **more: Any) -> FieldType:
    """A text type whose column holds ``length`` characters (None: unbounded). A request
    body may write at most ``body_limit`` characters (the field's ``max_length`` when it
    has one)."""

    def column_of(field: FieldDef) -> sa.types.TypeEngine:
        if column is not None:
            return column(field)
        return sa.String(length) if length else sa.Text()

    def payload(field: FieldDef, lang: str, options: tuple[str, ...]) -> fields.Field:
        checks = text_checks(field, lang, body_limit) + extra_checks(lang)
        common = common_options(message_kind, lang)
        common["error_messages"].update(messages(lang))
        return payload_field(validate=checks, **common)

    def text_value(field: FieldDef, output: bool, env: SchemaEnv) -> dict[str, Any]:
        found = text_schema(field, output, env, length)
        for key, value in (schema_extra or {}).items():
            found.setdefault(key, value)
        return found

    return FieldType(
        name=name, noun=noun_of(name), keys=keys, column=column_of,
        payload=payload, parse=same_text, output=lambda field: None,
        expression_type="string", to_expression=value_in, to_field=text_out_of,
        operators=TEXT_OPERATORS, ordering="value", schema=schema or text_value,
        filter_schema=lambda field, env: {"type": "string"}, widget=widget,
        list_text=plain_text, read_cell=cell_text(same_text),
        max_length=lambda field: field.max_length or length, **more,
    )
