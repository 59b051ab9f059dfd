"""string: one line of text, 255 characters unless ``max_length`` says otherwise."""

from __future__ import annotations

import sqlalchemy as sa

from .base import FieldType
from .storage import DEFAULT_STRING_LENGTH
from .texts import text_kind


def string_type() -> FieldType:
    return text_kind("string", length=DEFAULT_STRING_LENGTH, body_limit=DEFAULT_STRING_LENGTH,
                     column=lambda field: sa.String(field.max_length or DEFAULT_STRING_LENGTH))
