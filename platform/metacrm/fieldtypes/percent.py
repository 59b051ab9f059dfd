"""percent: a percentage with two decimals, 0 to 100 unless ``min``/``max`` say
otherwise."""

from __future__ import annotations

from .base import FieldType
from .numbers import exact_number


def percent_type() -> FieldType:
    return exact_number("percent", precision=9, scale=lambda field: 2,
                        default_bounds=(0, 100), suffix="%", widget="decimal")
