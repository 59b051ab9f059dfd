"""Definitions saved again and again as runtime customizations (a form layout, a
report): each save is a new version of the definition of that name, the newest not
removed is the one in force, and going back is saving an earlier version again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base.problems import NotFound
from ..platform import CUSTOMIZATIONS, Platform


def _table() -> sa.TableClause:
    return sa.table(CUSTOMIZATIONS, sa.column("id"), sa.column("document", sa.JSON),
                    sa.column("created_at"), sa.column("created_by"),
                    sa.column("removed_at"))


def versions_of(conn: Connection, kind: str, name: str) -> list[dict[str, Any]]:
    """The saved versions of the ``kind`` definition ``name`` (``form``, ``report``),
    oldest first: id, when, by whom, whether removed, whether it is the one in force,
    and the document."""
    table = _table()
    users = sa.table("mc_users", sa.column("id"), sa.column("name"), sa.column("username"))
    rows = conn.execute(
        sa.select(table.c.id, table.c.document, table.c.created_at, table.c.removed_at,
                  users.c.name, users.c.username)
        .select_from(table.outerjoin(users, users.c.id == table.c.created_by))
        .order_by(table.c.id)).all()
    found = [row for row in rows
             if isinstance(row.document, dict) and row.document.get(kind) == name]
    current = max((r.id for r in found if r.removed_at is None), default=None)
    return [{"id": r.id, "created_at": r.created_at, "by": r.name or r.username,
             "removed": r.removed_at is not None, "current": r.id == current,
             "document": r.document} for r in found]


def newest_document(conn: Connection, kind: str, name: str) -> dict[str, Any] | None:
    """The newest version of ``name`` not removed, as a document (None: none saved)."""
    versions = [v for v in versions_of(conn, kind, name) if not v["removed"]]
    return dict(versions[-1]["document"]) if versions else None


def version_document(platform: Platform, kind: str, name: str, version: int,
                     shipped: Callable[[], dict[str, Any] | None], what: str
                     ) -> dict[str, Any]:
    """The document of ``version`` of the ``kind`` definition ``name``: a saved version,
    or (0) the bundles' one as ``shipped`` gives it; NotFound naming ``what``."""
    if version == 0:
        document = shipped()
        if document is None:
            raise NotFound(f"{what} '{name}' has no version from the bundles")
        return document
    with platform.reading() as conn:
        versions = {v["id"]: v for v in versions_of(conn, kind, name)}
    if version not in versions:
        raise NotFound(f"{what} '{name}' has no version {version}")
    return dict(versions[version]["document"])
