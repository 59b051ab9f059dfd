"""The layout an entity gets when its definitions give none: the list columns a
person needs to tell records apart, and the record's fields in definition order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..definitions.entities import EntityDef, FieldDef

if TYPE_CHECKING:
    from ..runtime.access import Viewer

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


def expandable(fields: tuple[FieldDef, ...], viewer: Viewer | None = None) -> list[str]:
    """The reference and user fields whose titles a page shows instead of ids: with a
    ``viewer``, only references to records they may read (the API refuses to expand
    the others; the page shows their ids)."""
    found = []
    for f in fields:
        if f.type not in ("reference", "user", "multi_reference"):
            continue
        target = viewer.compiled.models.get(f.to or "") if viewer and f.type != "user" else None
        if viewer is not None and target is not None and not viewer.can_read(target):
            continue
        found.append(f.name)
    return found
