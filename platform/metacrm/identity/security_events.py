"""The security record: sign-ins (failed, throttled, succeeded), administrator
rights granted and revoked, roles and passwords changed, users disabled and
enabled, tokens issued and revoked, exports, role customizations and refused
requests (401/403), each with who, when and from where, in ``mc_security_events``.

An event that goes with a change is written in the change's transaction (it
happened exactly when the change did); one about something refused (a failed
sign-in, a denied request) in a transaction of its own, since the refused work
is rolled back. Refusals are what an attacker can cause at will, so repeats of
the same refusal (kind, address and user) within a minute add to one row's
``count``, and each kind keeps at most ``DISTINCT_PER_MINUTE`` rows a minute;
beyond, they all count on one row with the address ``*``. The housekeeping job
deletes events older than ``METACRM_SECURITY_EVENTS_DAYS``.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..compile.system_tables import system_tables
from ..values import json_value
from .profiles import Profile
from .tokens import TokenInfo

KINDS = ("signin.succeeded", "signin.failed", "signin.throttled", "admin.granted",
         "admin.revoked", "roles.changed", "password.changed", "user.disabled",
         "user.enabled", "token.issued", "token.revoked", "export", "role.customized",
         "request.denied")
# What anyone can cause as often as they like: repeats are counted, not stored.
COALESCED = frozenset(("signin.throttled", "request.denied"))
DISTINCT_PER_MINUTE = 100
EVERYONE = "*"
_TEXT = 200  # longest text kept of a path, a name or a message in the details


@dataclass(frozen=True)
class Actor:
    """Who does something and from where: a user of the API or a page (their id;
    their username is looked up if not given), someone typing a username at sign-in
    (no id), or the command line (``via="cli"``, the operating system's user)."""

    user_id: int | None
    username: str | None
    address: str
    via: str = "api"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def command_line(cls) -> Actor:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # a container user without a name
            who = "unknown"
        return cls(None, None, "cli", "cli", {"os_user": who})


def record_event(conn: sa.Connection, metadata: sa.MetaData, kind: str, actor: Actor,
                 now: datetime, *, target: str | None = None, target_id: int | None = None,
                 details: Mapping[str, Any] | None = None) -> int | None:
    """Record one event in the caller's transaction; its id (None: counted as a
    repeat). ``target`` (or the user ``target_id``) is whose access it concerns,
    when that is not the actor."""
    if kind not in KINDS:
        raise ValueError(f"unknown security event '{kind}' (the kinds: {', '.join(KINDS)})")
    tables = system_tables(metadata)
    events, users = tables.security_events, tables.users
    address = (actor.address or "unknown")[:64]
    if kind in COALESCED and _add_to_repeat(conn, events, kind, actor, address, now):
        return None
    username: Any = actor.username[:150] if actor.username else None
    if username is None and actor.user_id is not None:
        username = sa.select(users.c.username).where(users.c.id == actor.user_id
                                                     ).scalar_subquery()
    target_name: Any = target[:150] if target else None
    if target_name is None and target_id is not None:
        target_name = sa.select(users.c.username).where(users.c.id == target_id
                                                        ).scalar_subquery()
    return int(conn.execute(events.insert().values(
        at=now, last_at=now, kind=kind, user_id=actor.user_id, username=username,
        target=target_name, address=address, count=1,
        details=_plain({"via": actor.via, **actor.extra, **(details or {})}))
        .returning(events.c.id)).scalar_one())


def settle_event(conn: sa.Connection, metadata: sa.MetaData, event_id: int, *,
                 kind: str | None = None, user_id: int | None = None) -> None:
    """An event recorded before the outcome was known (a sign-in counted as failed
    until its password is checked): becomes ``kind``, or is deleted with None."""
    events = system_tables(metadata).security_events
    if kind is None:
        conn.execute(events.delete().where(events.c.id == event_id))
    else:
        conn.execute(events.update().where(events.c.id == event_id)
                     .values(kind=kind, user_id=user_id))


def record_profile_change(conn: sa.Connection, metadata: sa.MetaData, actor: Actor,
                          now: datetime, before: Profile | None, after: Profile, *,
                          password_set: bool = False) -> None:
    """The events of a user created (``before`` None) or changed: administrator
    rights, roles, the active flag, the password."""
    was_admin, old_roles = (before.is_admin, set(before.roles)) if before else (False, set())
    events: list[tuple[str, dict[str, Any]]] = []
    if after.is_admin != was_admin:
        events.append(("admin.granted" if after.is_admin else "admin.revoked", {}))
    if set(after.roles) != old_roles:
        events.append(("roles.changed", {"roles": list(after.roles),
                                         "added": sorted(set(after.roles) - old_roles),
                                         "removed": sorted(old_roles - set(after.roles))}))
    if before is not None and after.active != before.active:
        events.append(("user.enabled" if after.active else "user.disabled", {}))
    if password_set:
        events.append(("password.changed", {}))
    for kind, details in events:
        record_event(conn, metadata, kind, actor, now, target=after.username, details=details)


def token_event(info: TokenInfo) -> dict[str, Any]:
    """What the record keeps of an issued token (never its secret)."""
    return {"token": info.id, "name": info.name, "expires_at": info.expires_at}


def export_event(entity: str, fmt: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
    """What the record keeps of an export: the entity, the format and the query."""
    return {"entity": entity, "format": fmt,
            "query": {key: values if len(values) > 1 else values[0]
                      for key, values in query.items() if values}}


def _add_to_repeat(conn: sa.Connection, events: sa.Table, kind: str, actor: Actor,
                   address: str, now: datetime) -> bool:
    """Count a repeat on this minute's row for the same refusal; past the minute's
    distinct rows, on the row for everyone. False: a new row it is."""
    minute = now.replace(second=0, microsecond=0)
    this_minute = (events.c.kind == kind, events.c.at >= minute)
    # The same caller: the user, or else the name typed at sign-in.
    same = [events.c.address == address, _same(events.c.user_id, actor.user_id)]
    if actor.user_id is None:
        same.append(_same(events.c.username, actor.username[:150] if actor.username else None))
    distinct = conn.execute(sa.select(sa.func.count()).select_from(events)
                            .where(*this_minute)).scalar_one()
    if distinct >= DISTINCT_PER_MINUTE:
        same = [events.c.address == EVERYONE]
    found = conn.execute(sa.select(events.c.id).where(*this_minute, *same)
                         .order_by(events.c.id).limit(1)).scalar()
    if found is None and distinct >= DISTINCT_PER_MINUTE:
        conn.execute(events.insert().values(
            at=now, last_at=now, kind=kind, address=EVERYONE, count=1,
            details={"via": actor.via, "note": "refusals past the minute's distinct rows, "
                     "from any address"}))
        return True
    if found is None:
        return False
    conn.execute(events.update().where(events.c.id == found)
                 .values(count=events.c.count + 1, last_at=now))
    return True


def _same(column: sa.ColumnElement, value: Any) -> sa.ColumnElement:
    return column.is_(None) if value is None else column == value


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    """JSON of bounded size: text is cut, dates written as ISO 8601."""
    def cut(value: Any) -> Any:
        if isinstance(value, str):
            return value[:_TEXT]
        if isinstance(value, Mapping):
            return {str(k)[:_TEXT]: cut(v) for k, v in list(value.items())[:50]}
        if isinstance(value, (list, tuple)):
            return [cut(v) for v in list(value)[:50]]
        return json_value(value)
    return cut(details)


def list_events(conn: sa.Connection, metadata: sa.MetaData, *, kind: str | None = None,
                user: str | None = None, since: datetime | None = None, limit: int = 50,
                after: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """Events newest first, and the id to continue after (None on the last page).
    ``kind``: a kind, or a family such as ``signin``; ``user``: the username of the
    actor or of whom it concerns; ``since``: not before (the last repeat counts)."""
    events = system_tables(metadata).security_events
    conditions: list[sa.ColumnElement] = []
    if kind:
        conditions.append(sa.or_(events.c.kind == kind,
                                 events.c.kind.startswith(f"{kind}.", autoescape=True)))
    if user:
        conditions.append(sa.or_(events.c.username == user, events.c.target == user))
    if since is not None:
        conditions.append(events.c.last_at >= since)
    if after is not None:
        conditions.append(events.c.id < after)
    rows = conn.execute(sa.select(events).where(*conditions).order_by(events.c.id.desc())
                        .limit(limit + 1)).all()
    page = [event_json(row) for row in rows[:limit]]
    return page, (page[-1]["id"] if len(rows) > limit else None)


def event_json(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "at": json_value(row.at),
            "last_at": json_value(row.last_at), "count": row.count, "user_id": row.user_id,
            "username": row.username, "target": row.target, "address": row.address,
            "details": row.details or {}}


def purge_events(conn: sa.Connection, metadata: sa.MetaData, now: datetime, keep_days: int, *,
                 dry_run: bool = False) -> int:
    """Delete events whose last repeat is older than ``keep_days``; how many."""
    events = system_tables(metadata).security_events
    old = events.c.last_at < now - timedelta(days=keep_days)
    if dry_run:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events)
                                .where(old)).scalar_one())
    return conn.execute(events.delete().where(old)).rowcount
