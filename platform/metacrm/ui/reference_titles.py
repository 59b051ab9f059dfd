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
from ..runtime.reads import get_record
from ..runtime.user_directory import UserDirectory
from .display import record_title


def _id_of(value: Any) -> int | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


# The most records a multi-reference control names by title (the rest by number).
MAX_TITLED = 50


def _title(conn: sa.Connection, viewer: Viewer, entity: str, record_id: int) -> str:
    target = viewer.compiled.models[entity]
    record = get_record(conn, viewer, target, record_id) if viewer.can_read(target) else None
    return record_title(viewer.compiled, entity, record) if record is not None \
        else f"#{record_id}"


def _ids_of(values: Mapping[str, Any], name: str) -> list[int]:
    found = values.getlist(name) if isinstance(values, MultiDict) else values.get(name) or ()
    ids = [_id_of(item) for item in found]
    return list(dict.fromkeys(i for i in ids if i is not None))


def reference_titles(conn: sa.Connection, viewer: Viewer, fields: Iterable[FieldDef],
                     values: Mapping[str, Any]) -> dict[str, Any]:
    """Per reference or user field of ``fields`` that holds record ids in ``values``
    (a record, or a post): the text its control shows, or for a field of many
    references, (id, title) of each."""
    compiled: Compiled = viewer.compiled
    types = compiled.catalog.field_types
    found: dict[str, Any] = {}
    users: dict[str, int] = {}
    for f in fields:
        kind = types.of(f)
        if kind.references is None or (kind.references == "record" and f.to not in
                                        compiled.models):
            continue
        if kind.item_type is not None:  # many records
            found[f.name] = tuple(
                (i, _title(conn, viewer, f.to or "", i) if n < MAX_TITLED else f"#{i}")
                for n, i in enumerate(_ids_of(values, f.name)))
            continue
        record_id = _id_of(values.get(f.name))
        if record_id is None:
            continue
        if kind.references == "user":
            users[f.name] = record_id
        else:
            found[f.name] = _title(conn, viewer, f.to or "", record_id)
    if users:
        directory = UserDirectory(conn, compiled.tables.users)
        for name, user_id in users.items():
            found[name] = directory.name(user_id) or f"#{user_id}"
    return found
