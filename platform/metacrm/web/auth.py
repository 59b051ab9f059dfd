"""Who is calling: an API token (``Authorization: Bearer``) or a signed-in web
session; anything else is 401. Session-authenticated requests that change
something must carry the session's CSRF token (header ``X-CSRF-Token`` or form
field ``csrf_token``); token-authenticated ones need none, since a browser
never sends a bearer token on its own."""

from __future__ import annotations

import hmac
from datetime import timedelta

from flask import g, request, session

from ..base.context import Context, Principal, utcnow
from ..base.problems import Forbidden, Unauthorized
from ..i18n import message
from ..identity.sessions import mark_seen, session_principal
from ..identity.tokens import PREFIX as TOKEN_PREFIX
from ..identity.tokens import digest
from .connection import authentication_reading
from .requests import FORM_TYPES, platform, request_locale

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SESSION_KEY = "sid"
CSRF_HEADER = "X-CSRF-Token"


def same_secret(sent: object, expected: str) -> bool:
    """Whether ``sent`` is ``expected``, in constant time. Compared as UTF-8 bytes:
    ``hmac.compare_digest`` refuses str with non-ASCII characters (a 500 for anyone
    sending one)."""
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), expected.encode())


def current_context() -> Context:
    """The caller of this request, authenticated once per request."""
    found = g.get("metacrm_context")
    if found is None:
        locale = request_locale()
        found = g.metacrm_context = Context(_authenticate(locale), locale, utcnow())
    return found


def is_admin(ctx: Context) -> bool:
    """Administrators manage users, teams, roles and customizations."""
    return platform().compiled.policy.administers(ctx.principal)


def require_admin(ctx: Context) -> None:
    if not is_admin(ctx):
        raise Forbidden(message("admin_only", ctx.locale))


def optional_context() -> Context | None:
    """The caller if signed in (for pages that redirect strangers to sign in)."""
    try:
        return current_context()
    except Unauthorized:
        return None


def session_csrf() -> str | None:
    """The CSRF token of this request's web session, if it has one."""
    current_context()
    return g.get("metacrm_csrf")


def _authenticate(locale: str) -> Principal:
    header = request.headers.get("Authorization")
    if header is not None:
        return _bearer(header, locale)
    key = session.get(SESSION_KEY)
    if key:
        return _session(str(key), locale)
    raise Unauthorized(message("no_credentials", locale), key="Authorization")


def _bearer(header: str, locale: str) -> Principal:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(message("bad_authorization", locale), key="Authorization")
    token = token.strip()
    principal = None
    if token.startswith(TOKEN_PREFIX):
        with authentication_reading() as conn:
            principal = platform().principals.principal(conn, digest(token), utcnow())
    if principal is None:
        raise Unauthorized(message("bad_token", locale), key="Authorization")
    return principal


def _session(key: str, locale: str) -> Principal:
    plat = platform()
    now = utcnow()
    idle = timedelta(minutes=plat.settings.session_idle_minutes)
    metadata = plat.compiled.metadata
    with authentication_reading() as conn:
        active = session_principal(conn, metadata, key, now, idle)
    if active is None:
        session.clear()
        raise Unauthorized(message("bad_session", locale), key="session")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or (
            request.form.get("csrf_token") if request.mimetype in FORM_TYPES else None)
        if not sent or not same_secret(sent, active.csrf):
            g.metacrm_refused = active.principal.user_id  # for the security record
            raise Forbidden(message("bad_csrf", locale), key="csrf_token")
    if active.needs_refresh:
        with plat.writing() as conn:
            mark_seen(conn, metadata, active.id, now)
    g.metacrm_csrf = active.csrf
    return active.principal
