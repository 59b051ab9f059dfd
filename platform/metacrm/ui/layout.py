"""The layout an entity gets when its definitions give none: the list columns a
person needs to tell records apart, and the record's fields in definition order."""

from __future__ import annotations

from ..definitions.entities import EntityDef, FieldDef

MAX_LIST_COLUMNS = 7
# Long or structured values that make a list row unreadable.
NOT_IN_LISTS = ("text", "json", "multi_reference")


def list_columns(entity: EntityDef, hidden: frozenset[str]) -> tuple[FieldDef, ...]:
    fields = [f for f in entity.fields.values() if f.name not in hidden]
    title = [f for f in fields if f.name == entity.title]
    others = [f for f in fields if f.name != entity.title and f.type not in NOT_IN_LISTS]
    return tuple((title + others)[:MAX_LIST_COLUMNS])


def record_fields(entity: EntityDef, hidden: frozenset[str]) -> tuple[FieldDef, ...]:
    return tuple(f for f in entity.fields.values() if f.name not in hidden)


def expandable(fields: tuple[FieldDef, ...]) -> list[str]:
    """The reference and user fields whose titles a page shows instead of ids."""
    return [f.name for f in fields if f.type in ("reference", "user", "multi_reference")]
