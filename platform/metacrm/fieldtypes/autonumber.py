"""autonumber: a code the platform numbers when a record is created ({seq:06})."""

from __future__ import annotations

import sqlalchemy as sa

from .base import FieldType
from .common import fixed_schema
from .texts import text_kind


def autonumber_type() -> FieldType:
    # max_length and pattern do not apply: the platform writes the value.
    return text_kind("autonumber", length=64, column=lambda field: sa.String(64),
                     keys=frozenset(("format",)), widget="readonly", computed=True,
                     schema=fixed_schema({"type": "string"}), list_cell="nowrap")
