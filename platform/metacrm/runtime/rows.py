"""What runtime code means by a record row: field values by name, as SQLAlchemy reads
them (a ``RowMapping``, which also takes a column as key) or as code builds them (a
dict). Functions that only read a row take either, under the one name ``Row``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from sqlalchemy import RowMapping

Row: TypeAlias = Mapping[str, Any] | RowMapping
