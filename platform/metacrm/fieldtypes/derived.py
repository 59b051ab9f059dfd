"""What formula and rollup share: a value computed by the platform, of the type their
``result`` names, so every question about the value is answered by that type."""

from __future__ import annotations

from typing import Any, NoReturn

from .base import FieldType
from .common import noun_of

# The types a formula or rollup may result in (``result:``).
RESULTS = ("decimal", "money", "integer", "percent", "string", "boolean", "date", "datetime")


def derived_type(name: str, keys: frozenset[str]) -> FieldType:
    def of_result(*args: Any) -> NoReturn:
        raise TypeError(f"a {name} field holds a value of its result's type: ask "
                        "FieldTypes.of(field)")

    return FieldType(
        name=name, noun=noun_of(name), keys=keys, column=of_result, payload=of_result,
        parse=of_result, output=of_result, expression_type="dyn", to_expression=of_result,
        to_field=of_result, operators=(), ordering="none", schema=of_result,
        filter_schema=of_result, widget="readonly", list_text=of_result,
        read_cell=of_result, computed=True, derived=True, results=RESULTS,
    )
