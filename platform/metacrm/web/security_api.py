"""The security record over HTTP: ``GET /api/security/events`` for administrators
(see docs/security.md), and recording what requests do: who the caller is and
from where, and every refused request (401, 403)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, g, jsonify, request

from ..base.context import Context, utcnow
from ..base.problems import BadQuery
from ..identity.security_events import KINDS, Actor, list_events, record_event
from ..runtime.notifications import encode_cursor
from ..values import parse_text
from .auth import current_context, require_admin
from .identity_views import client_address
from .requests import page_arguments, platform, query_arguments, refuse_nul_values

security_api = Blueprint("metacrm_security", __name__, url_prefix="/api/security")
security_api.before_request(refuse_nul_values)
FILTERS = ("kind", "user", "since", "limit", "cursor")
# Set once a request's refusal is in the record (a failed sign-in): not again as denied.
_RECORDED = "metacrm_security_recorded"


@security_api.get("/events")
def events() -> Any:
    """``kind`` (a kind or a family: ``signin``), ``user`` (who acted or whom it
    concerns), ``since`` (ISO 8601), ``limit``, ``cursor``: newest first."""
    ctx = current_context()
    require_admin(ctx)
    args = query_arguments(ctx, FILTERS)
    kind = args.get("kind")
    families = {k.split(".")[0] for k in KINDS}
    if kind is not None and kind not in KINDS and kind not in families:
        raise BadQuery(f"unknown kind '{kind}': one of {', '.join(KINDS)}, or a family: "
                       f"{', '.join(sorted(families))}", key="kind")
    try:
        since = parse_text("datetime", args["since"]) if "since" in args else None
    except (ValueError, OverflowError) as exc:
        raise BadQuery(str(exc), key="since") from None
    limit, after = page_arguments(ctx, args, "security-events")
    plat = platform()
    with plat.reading() as conn:
        found, last = list_events(conn, plat.compiled.metadata, kind=kind,
                                  user=args.get("user"), since=since, limit=limit, after=after)
    return jsonify({"items": found,
                    "next_cursor": encode_cursor("security-events", last) if last else None})


def request_actor(ctx: Context | None) -> Actor:
    """The caller of this request (None: not known), from where, for the security
    record."""
    return _actor(ctx.user_id if ctx else None)


def _actor(user_id: int | None) -> Actor:
    return Actor(user_id, None, client_address(),
                 "api" if request.path.startswith("/api/") else "page")


def mark_recorded() -> None:
    """This request's refusal is in the record already (a failed sign-in)."""
    g.setdefault(_RECORDED, True)


def record_denied(status: int, errors: dict[str, list[str]]) -> None:
    """Record a refused request (401, 403), in a transaction of its own: the
    request's work was rolled back. A database that cannot take it must not turn the
    refusal into a 500: the refusal stands, and the failure is logged."""
    if g.get(_RECORDED):
        return
    context = g.get("metacrm_context")
    # A session refused for its CSRF token has a user, but no context.
    actor = _actor(context.user_id if context else g.get("metacrm_refused"))
    reason = next((texts[0] for texts in errors.values() if texts), "")
    plat = platform()
    try:
        with plat.writing() as conn:
            record_event(conn, plat.compiled.metadata, "request.denied", actor, utcnow(),
                         details={"status": status, "method": request.method,
                                  "path": request.path, "reason": reason})
    except sa.exc.SQLAlchemyError as exc:
        current_app.logger.warning("could not record a denied request: %s", exc)
    g.setdefault(_RECORDED, True)
