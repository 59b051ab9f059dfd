"""The field types every platform knows, in the order messages list them."""

from __future__ import annotations

from .autonumber import autonumber_type
from .base import FieldTypes
from .boolean import boolean_type
from .choice import choice_type
from .date import date_type
from .datetime import datetime_type
from .decimal import decimal_type
from .email import email_type
from .formula import formula_type
from .integer import integer_type
from .json import json_type
from .money import money_type
from .multi_choice import multi_choice_type
from .multi_reference import multi_reference_type
from .percent import percent_type
from .phone import phone_type
from .reference import reference_type
from .rollup import rollup_type
from .string import string_type
from .text import text_type
from .url import url_type
from .user import user_type

BUILTIN_TYPES = (
    string_type, text_type, integer_type, decimal_type, money_type, percent_type, boolean_type,
    date_type, datetime_type, choice_type, multi_choice_type, reference_type,
    multi_reference_type, user_type, email_type, phone_type, url_type, json_type,
    autonumber_type, formula_type, rollup_type,
)


def builtin_field_types() -> FieldTypes:
    """A new registry of the built-in types (each platform builds its own)."""
    return FieldTypes(make() for make in BUILTIN_TYPES)
