"""What a form's reference controls show: the title of the record (or the name of
the user) a reference holds, read in the viewer's scope, so a person sees
"上海星河贸易有限公司" where the form sends 17. A record the viewer may not read
shows as its number only, as the API would give it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

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


def reference_titles(conn: sa.Connection, viewer: Viewer, fields: Iterable[FieldDef],
                     values: Mapping[str, Any]) -> dict[str, str]:
    """Per single-reference or user field of ``fields`` that holds a record id in
    ``values``: the text its control shows."""
    compiled: Compiled = viewer.compiled
    found: dict[str, str] = {}
    users: dict[str, int] = {}
    for f in fields:
        record_id = _id_of(values.get(f.name))
        if record_id is None:
            continue
        if f.type == "user":
            users[f.name] = record_id
        elif f.type == "reference" and f.to in compiled.models:
            target = compiled.models[f.to]
            record = (get_record(conn, viewer, target, record_id)
                      if viewer.can_read(target) else None)
            found[f.name] = (record_title(compiled, f.to, record) if record is not None
                             else f"#{record_id}")
    if users:
        directory = UserDirectory(conn, compiled.tables.users)
        for name, user_id in users.items():
            found[name] = directory.name(user_id) or f"#{user_id}"
    return found
