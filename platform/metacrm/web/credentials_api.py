"""``/api/tokens`` and ``/api/auth``: a caller's API tokens, and signing in and
out with a password for a browser session (see docs/identity.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, session, url_for

from ..base.context import Context, Principal, utcnow
from ..base.problems import BadQuery, Invalid, NotFound, TooManyRequests, Unauthorized
from ..i18n import message
from ..identity.fields import LOGIN_FIELDS, TOKEN_FIELDS
from ..identity.principals import principal_of
from ..identity.profiles import get_profile
from ..identity.security_events import record_event, token_event
from ..identity.signin import SignInRefused, SignInThrottled, sign_in
from ..identity.tokens import (
    BadExpiry,
    TokenInfo,
    create_token,
    list_tokens,
    revoke_token,
    token_expiry,
)
from ..values import json_value
from .auth import SESSION_KEY, current_context, is_admin, session_csrf
from .identity_views import (
    begin_browser_session,
    client_address,
    end_browser_session,
    limit_sign_in_body,
    me_json,
    read_object,
    require_current_password,
)
from .requests import platform, refuse_nul_values, request_locale
from .security_api import mark_recorded, request_actor

credentials_api = Blueprint("metacrm_credentials", __name__, url_prefix="/api")
credentials_api.before_request(refuse_nul_values)


# --- tokens ------------------------------------------------------------------------------

def token_json(info: TokenInfo, now: datetime) -> dict[str, Any]:
    return {"id": info.id, "name": info.name, "created_at": json_value(info.created_at),
            "revoked_at": json_value(info.revoked_at) if info.revoked_at else None,
            "expires_at": json_value(info.expires_at) if info.expires_at else None,
            "expired": info.expired(now)}


@credentials_api.get("/tokens")
def tokens() -> Any:
    ctx = current_context()
    plat = platform()
    with plat.reading() as conn:
        found = list_tokens(conn, plat.compiled.metadata, ctx.user_id) if ctx.user_id else []
    return jsonify({"items": [token_json(t, ctx.now) for t in found]})


@credentials_api.post("/tokens")
def issue_token() -> Any:
    """A new token of the caller's; its text is in this response only. From a browser
    session it takes the current password: a token outlives the session, so a
    stolen session cookie must not be enough to mint one. A bearer caller holds a
    token already and needs none."""
    ctx = current_context()
    values = read_object(ctx, TOKEN_FIELDS, required=("name",))
    try:
        expires_at = token_expiry(ctx.now, expires_at=values.get("expires_at"),
                                  expires_in_days=values.get("expires_in_days"))
    except BadExpiry as exc:
        key = "expires_at" if "expires_at" in values else "expires_in_days"
        raise Invalid({key: [message(exc.key, ctx.locale, **exc.params)]}) from None
    current = values.pop("current_password", None)
    if session_csrf() is not None or current is not None:
        require_current_password(ctx, _username(ctx), current, missing="token_password")
    plat = platform()
    with plat.writing() as conn:
        token, info = create_token(conn, plat.compiled.metadata, ctx.user_id,  # type: ignore[arg-type]
                                   values["name"], expires_at=expires_at)
        record_event(conn, plat.compiled.metadata, "token.issued", request_actor(ctx), ctx.now,
                     details=token_event(info))
    response = jsonify({**token_json(info, ctx.now), "token": token})
    response.status_code = 201
    response.headers["Location"] = url_for("metacrm_credentials.tokens")
    return response


def _username(ctx: Context) -> str:
    plat = platform()
    with plat.reading() as conn:
        profile = get_profile(conn, plat.compiled.metadata, ctx.user_id) if ctx.user_id else None
    return profile.username if profile is not None else ""


@credentials_api.delete("/tokens/<id:token_id>")
def revoke(token_id: int) -> Any:
    """Revoke one of the caller's tokens (administrators: anyone's); at once."""
    ctx = current_context()
    plat = platform()
    metadata = plat.compiled.metadata
    with plat.writing() as conn:
        own = ctx.user_id is not None and any(
            t.id == token_id for t in list_tokens(conn, metadata, ctx.user_id))
        owner = revoke_token(conn, metadata, token_id) if own or is_admin(ctx) else None
        if owner is None:
            raise NotFound(message("unknown_token", ctx.locale, id=token_id), key="id")
        record_event(conn, metadata, "token.revoked", request_actor(ctx), ctx.now,
                     target_id=owner, details={"token": token_id})
    return Response(status=204)


# --- signing in --------------------------------------------------------------------------

@credentials_api.post("/auth/login")
def login() -> Any:
    """Sign in with a username and password: a session cookie, the caller and the
    CSRF token that unsafe requests of this session must send."""
    lang = request_locale()
    if not request.is_json:
        # A cross-site form can post text that looks like JSON, but never with this
        # content type: requiring it keeps other sites from signing a visitor in.
        raise BadQuery(message("send_json", lang), key="Content-Type")
    limit_sign_in_body(lang)
    anonymous = Context(Principal(None), lang, utcnow())
    # The shape (exactly these two keys, bounded strings) is checked before any
    # lookup, hash or count of attempts.
    values = read_object(anonymous, LOGIN_FIELDS, required=("username", "password"))
    plat = platform()
    try:
        signed = sign_in(plat, values["username"], values["password"],
                         address=client_address(), user_agent=request.user_agent.string,
                         now=anonymous.now)
    except SignInThrottled as exc:
        raise TooManyRequests(message("signin_throttled", lang, seconds=exc.retry_after),
                              exc.retry_after) from None
    except SignInRefused:
        mark_recorded()  # as a failed sign-in
        raise Unauthorized(message("signin_refused", lang)) from None
    begin_browser_session(signed)
    with plat.reading() as conn:
        principal = principal_of(conn, plat.compiled.metadata, signed.user.id)
        profile = get_profile(conn, plat.compiled.metadata, signed.user.id)
    ctx = Context(principal or Principal(signed.user.id), lang, anonymous.now)
    return jsonify(me_json(ctx, profile, signed.session.csrf))  # type: ignore[arg-type]


@credentials_api.post("/auth/logout")
def logout() -> Any:
    """End this browser's session (its CSRF token is needed, as for any change)."""
    if session.get(SESSION_KEY):
        try:
            current_context()
        except Unauthorized:
            pass  # the session has already ended
        end_browser_session()
    return Response(status=204)
