"""In-app notifications: what a user is told (an approval waits for them, their request
was decided, a step was escalated), in their own language; listing them newest first
and marking them read. The mail job e-mails the ones not yet sent when SMTP is
configured (see jobs/mail.py)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ..definitions import Label
from .inserts import insert_rows
from .operation import Operation

# Texts per language: "{...}" places are filled from the notification's params.
Texts = Mapping[str, str]
SHOWN = ("id", "kind", "title", "body", "entity", "record_id", "approval_id", "created_at",
         "read_at")


def notify(op: Operation, user_ids: Iterable[int], kind: str, title: Texts,
           body: Texts | None = None, *, entity: str | None = None,
           record_id: int | None = None, approval_id: int | None = None,
           params: Mapping[str, Any] | None = None) -> int:
    """Tell each of ``user_ids`` (each in their language); how many were told. A param
    that is a ``Label`` (an approval's or a step's) is given in the reader's language,
    not the language of whoever caused the notification."""
    rows = notification_rows(op, user_ids, kind, title, body, entity=entity,
                             record_id=record_id, approval_id=approval_id, params=params)
    insert_rows(op.conn, op.tables.notifications, rows)
    return len(rows)


def notification_rows(op: Operation, user_ids: Iterable[int], kind: str, title: Texts,
                      body: Texts | None = None, *, entity: str | None = None,
                      record_id: int | None = None, approval_id: int | None = None,
                      params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of mc_notifications that ``notify`` writes (for a caller that writes
    them with other rows, in one statement)."""
    recipients = sorted({u for u in user_ids if u is not None})
    if not recipients:
        return []
    languages = {uid: user.language for uid, user in op.directory.get(recipients).items()
                 if user.active}
    rows = []
    for user_id, language in languages.items():
        rows.append({
            "user_id": user_id, "kind": kind,
            "title": _text(title, language, params)[:300],
            "body": _text(body, language, params) if body else None,
            "entity": entity, "record_id": record_id, "approval_id": approval_id,
            "created_at": op.ctx.now})
    return rows


def _text(texts: Texts, language: str, params: Mapping[str, Any] | None) -> str:
    template = texts.get(language) or texts.get("en") or next(iter(texts.values()), "")
    filled = {key: value.get(language) if isinstance(value, Label) else value
              for key, value in (params or {}).items()}
    return template.format_map(_Missing(filled))


class _Missing(dict[str, Any]):
    """Leaves an unknown "{place}" as it is rather than failing the notification."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def list_notifications(op: Operation, *, unread_only: bool, limit: int, after: int | None
                       ) -> dict[str, Any]:
    """A page of the user's notifications, newest first, with the next page's cursor
    and how many are unread: two indexed queries, (user_id, read_at, id) for unread
    ones and the count, (user_id, id) for all."""
    table = op.tables.notifications
    conditions = [table.c.user_id == op.ctx.user_id]
    if unread_only:
        conditions.append(table.c.read_at.is_(None))
    if after is not None:
        conditions.append(table.c.id < after)
    rows = op.conn.execute(sa.select(*(table.c[name] for name in SHOWN)).where(*conditions)
                        .order_by(table.c.id.desc()).limit(limit + 1)).mappings().all()
    page = [dict(row) for row in rows[:limit]]
    return {"items": page,
            "next_cursor": encode_cursor("notifications", page[-1]["id"])
            if len(rows) > limit else None,
            "unread": unread_count(op)}


def unread_count(op: Operation) -> int:
    """How many of the caller's notifications are unread."""
    return op.conn.execute(sa.select(unread_of(op.tables.notifications, op.ctx.user_id))
                           ).scalar_one()


def unread_of(table: sa.Table, user: int | None | sa.ColumnElement) -> sa.ScalarSelect:
    """How many notifications of ``user`` (an id, or a column of users) are unread, as
    a subquery: a page's frame reads it in the statement that reads its user."""
    return sa.select(sa.func.count()).select_from(table).where(
        table.c.user_id == user, table.c.read_at.is_(None)).scalar_subquery()


def mark_read(op: Operation, notification_id: int) -> dict[str, Any] | None:
    """Mark one of the caller's notifications read (it stays read at its first
    reading); None if the caller has none with that id."""
    table, conn = op.tables.notifications, op.conn
    mine = sa.and_(table.c.id == notification_id, table.c.user_id == op.ctx.user_id)
    conn.execute(table.update().where(mine, table.c.read_at.is_(None))
                 .values(read_at=op.ctx.now))
    row = conn.execute(sa.select(*(table.c[name] for name in SHOWN)).where(mine)
                       ).mappings().first()
    return dict(row) if row else None


def mark_all_read(op: Operation, up_to: int | None = None) -> int:
    """Mark the caller's unread notifications read (only those up to id ``up_to``, so
    that one arriving while the reader looked is not marked unseen); how many."""
    table = op.tables.notifications
    conditions = [table.c.user_id == op.ctx.user_id, table.c.read_at.is_(None)]
    if up_to is not None:
        conditions.append(table.c.id <= up_to)
    return op.conn.execute(table.update().where(*conditions)
                           .values(read_at=op.ctx.now)).rowcount


def encode_cursor(kind: str, last_id: int) -> str:
    """An opaque keyset cursor: the last id shown, and which list it belongs to."""
    raw = json.dumps({"k": kind, "id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, text: str) -> int:
    """The last id a cursor of list ``kind`` holds; ValueError for anything else."""
    try:
        payload = json.loads(base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode()))
        last_id = payload["id"] if payload["k"] == kind else None
    except (ValueError, KeyError, TypeError, binascii.Error):
        last_id = None
    if not isinstance(last_id, int) or isinstance(last_id, bool) or not 0 < last_id < 2 ** 63:
        raise ValueError("not a cursor of this list: pass back 'next_cursor' unchanged")
    return last_id
