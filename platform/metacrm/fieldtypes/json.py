"""json: any JSON value; lists filter it by isnull only."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from marshmallow import fields

from ..expressions.boundary import json_in, json_out
from .base import FieldType
from .common import fixed_schema, json_text, noun_of
from .form_values import json_text as form_json_text
from .form_values import read_json
from .storage import JSON_TYPE
from .texts import same_text

if TYPE_CHECKING:
    from ..definitions import FieldDef


def _read_cell(cell: Any, field: FieldDef) -> Any:
    if not isinstance(cell, str):
        return cell
    try:
        return json.loads(cell)
    except ValueError:
        raise ValueError(f"'{cell[:40]}' is not JSON") from None


def json_type() -> FieldType:
    return FieldType(
        name="json", noun=noun_of("json"), keys=frozenset(), column=lambda field: JSON_TYPE,
        payload=lambda field, lang, options: fields.Raw(allow_none=True), parse=same_text,
        output=lambda field: None, expression_type="dyn", to_expression=json_in,
        to_field=lambda value, field: json_out(value), operators=("isnull",),
        ordering="none", schema=fixed_schema({}),
        filter_schema=lambda field, env: {"type": "string"}, widget="textarea",
        list_text=json_text, read_cell=_read_cell, read_literal=lambda value: value,
        read_form=read_json, form_text=form_json_text,
    )
