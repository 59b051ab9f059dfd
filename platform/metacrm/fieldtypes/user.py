"""user: the id of a user of the platform (``$user`` defaults it to the writer)."""

from __future__ import annotations

from .base import FieldType
from .reference import id_type


def user_type() -> FieldType:
    return id_type("user", keys=frozenset(), references="user", widget="reference",
                   macros=("$user",))
