"""text: text of any length (``max_length`` limits what a request may write)."""

from __future__ import annotations

import sqlalchemy as sa

from .base import FieldType
from .texts import text_kind


def text_type() -> FieldType:
    return text_kind("text", length=None, column=lambda field: sa.Text(), widget="textarea",
                     message_kind="text")
