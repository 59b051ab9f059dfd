"""decimal: an exact number of 18 digits, ``scale`` of them (4 unless it says) after
the point."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import FieldType
from .numbers import DEFAULT_DECIMAL_SCALE, NUMBER_KEYS, exact_number

if TYPE_CHECKING:
    from ..definitions import FieldDef


def decimal_places(field: FieldDef) -> int:
    return field.scale if field.scale is not None else DEFAULT_DECIMAL_SCALE


def decimal_type() -> FieldType:
    return exact_number("decimal", precision=18, scale=decimal_places,
                        keys=NUMBER_KEYS | {"scale"})
