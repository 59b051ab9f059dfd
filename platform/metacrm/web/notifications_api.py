"""REST resources of in-app notifications: mine, newest first (``unread=true`` for the
unread ones), with how many are unread; mark one or all read (see docs/approvals.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from ..base.problems import BadQuery, Invalid, NotFound
from ..i18n import kind_name, message
from ..runtime.notifications import list_notifications, mark_all_read, mark_read, unread_count
from ..values import parse_integer_value, parse_text
from .auth import current_context
from .requests import body_object, operation, page_arguments, query_arguments, refuse_nul_values

notifications_api = Blueprint("metacrm_notifications", __name__,
                              url_prefix="/api/notifications")
notifications_api.before_request(refuse_nul_values)
NOTIFICATION_ID = "<id:notification_id>"


@notifications_api.get("")
def list_mine() -> Any:
    """``?unread=true``, ``limit``, ``cursor``: ``{"items", "next_cursor", "unread"}``."""
    ctx = current_context()
    args = query_arguments(ctx, ("unread", "limit", "cursor"))
    try:
        unread_only = parse_text("boolean", args["unread"]) if "unread" in args else False
    except ValueError as exc:
        raise BadQuery(str(exc), key="unread") from None
    limit, after = page_arguments(ctx, args, "notifications")
    with operation(ctx, write=False) as op:
        return jsonify(list_notifications(op, unread_only=unread_only, limit=limit,
                                          after=after))


@notifications_api.post(f"/{NOTIFICATION_ID}/read")
def read_one(notification_id: int) -> Any:
    """The notification, now read, and how many stay unread."""
    ctx = current_context()
    with operation(ctx, write=True) as op:
        found = mark_read(op, notification_id)
        if found is None:
            raise NotFound(message("no_notification", ctx.locale, id=notification_id),
                           key="id")
        return jsonify({**found, "unread": unread_count(op)})


@notifications_api.post("/read")
def read_all() -> Any:
    """All of mine read; ``{"up_to": id}`` (optional): only those up to that id, e.g.
    the newest one the reader saw."""
    ctx = current_context()
    body = body_object(ctx, ("up_to",), optional=True)
    up_to = body.get("up_to")
    try:  # as the OpenAPI document's integer: 5.0 too, not "5" nor true
        up_to = None if up_to is None else parse_integer_value(up_to)
    except ValueError:
        raise Invalid({"up_to": [message("invalid", ctx.locale,
                                         kind=kind_name("integer", ctx.locale))]}) from None
    with operation(ctx, write=True) as op:
        marked = mark_all_read(op, up_to)
        return jsonify({"marked": marked, "unread": unread_count(op)})
