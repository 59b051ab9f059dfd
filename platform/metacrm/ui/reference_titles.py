"""What a form's reference controls show: the title of the record (or the name of
the user) a reference holds, read in the viewer's scope, so a person sees
"上海星河贸易有限公司" where the form sends 17. A record the viewer may not read
shows as its number only, as the API would give it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from ..compile.compiled import Compiled
from ..definitions import FieldDef
from ..runtime.access import Viewer
from ..runtime.reads import reach
from ..runtime.user_directory import UserDirectory


def _id_of(value: Any) -> int | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _titles(conn: sa.Connection, viewer: Viewer, entity: str, ids: Iterable[int]
            ) -> dict[int, str]:
    """The titles of the live records of ``entity`` among ``ids`` that the viewer may
    read, in one statement (a record out of reach, or a hidden title: its number)."""
    wanted = sorted(set(ids))
    found = {record_id: f"#{record_id}" for record_id in wanted}
    target = viewer.compiled.models[entity]
    title = target.entity.title
    access = viewer.of(target)
    if not wanted or not access.allows("read") or not title or title in access.hidden \
            or title not in target.table.c:
        return found
    table = target.table
    statement = sa.select(table.c.id, table.c[title]).where(
        table.c.id.in_(wanted), table.c.deleted_at.is_(None))
    scope = reach(access, "read")
    for record_id, text in conn.execute(statement if scope is None
                                        else statement.where(scope)):
        if text not in (None, ""):
            found[record_id] = str(text)
    return found


def _ids_of(values: Mapping[str, Any], name: str) -> list[int]:
    found = values.getlist(name) if isinstance(values, MultiDict) else values.get(name) or ()
    ids = [_id_of(item) for item in found]
    return list(dict.fromkeys(i for i in ids if i is not None))


def reference_titles(conn: sa.Connection, viewer: Viewer, fields: Iterable[FieldDef],
                     values: Mapping[str, Any]) -> dict[str, Any]:
    """Per reference or user field of ``fields`` that holds record ids in ``values``
    (a record, or a post): the text its control shows, or for a field of many
    references, (id, title) of each. One statement per entity referred to."""
    compiled: Compiled = viewer.compiled
    types = compiled.catalog.field_types
    wanted: dict[str, tuple[FieldDef, Any, list[int]]] = {}  # field -> (def, type, ids)
    for f in fields:
        kind = types.of(f)
        if kind.references == "user" or (kind.references == "record"
                                         and f.to in compiled.models):
            ids = _ids_of(values, f.name) if kind.item_type is not None else [
                i for i in [_id_of(values.get(f.name))] if i is not None]
            if ids:
                wanted[f.name] = (f, kind, ids)
    by_entity: dict[str, set[int]] = {}
    users: set[int] = set()
    for f, kind, ids in wanted.values():
        if kind.references == "user":
            users.update(ids)
        else:
            by_entity.setdefault(f.to or "", set()).update(ids)
    titles = {entity: _titles(conn, viewer, entity, ids) for entity, ids in by_entity.items()}
    names = {uid: info.name for uid, info in UserDirectory(
        conn, compiled.tables.users).get(users).items()} if users else {}
    found: dict[str, Any] = {}
    for name, (f, kind, ids) in wanted.items():
        shown = ({i: names.get(i) or f"#{i}" for i in ids} if kind.references == "user"
                 else titles[f.to or ""])
        found[name] = (tuple((i, shown[i]) for i in ids) if kind.item_type is not None
                       else shown[ids[0]])
    return found
