"""What the identity endpoints and the sign-in page share: a checked JSON object,
users as JSON, the browser session they start and end, and the throttled check
of a user's current password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request, session

from ..base.context import Context, utcnow
from ..base.problems import Invalid, TooLarge, TooManyRequests
from ..definitions import OPERATIONS
from ..i18n import message
from ..identity.fields import Check, check_object
from ..identity.profiles import Profile
from ..identity.sessions import end_session
from ..identity.signin import SignedIn, SignInThrottled, check_current_password
from ..runtime.access import Viewer
from ..values import json_value
from .auth import SESSION_KEY, is_admin
from .requests import json_body, platform


def read_object(ctx: Context, fields: Mapping[str, Check], *,
                required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The request's JSON object, checked against ``fields``; 422 listing every problem."""
    return check_object(json_body(ctx), fields, ctx.locale, required=required)


def user_json(profile: Profile, admin: bool) -> dict[str, Any]:
    """A directory entry; administrators also see the account's flags and age."""
    body: dict[str, Any] = {
        "id": profile.id, "username": profile.username, "name": profile.name,
        "email": profile.email, "phone": profile.phone, "language": profile.language,
        "active": profile.active, "manager": profile.manager_id,
        "teams": list(profile.teams), "roles": list(profile.roles)}
    if admin:
        body.update(is_admin=profile.is_admin, created_at=json_value(profile.created_at),
                    has_password=profile.has_password)
    return body


def me_json(ctx: Context, profile: Profile, csrf: str | None) -> dict[str, Any]:
    """The caller in full, whether they administer the CRM, and what they may do."""
    compiled = platform().compiled
    viewer = Viewer(compiled, ctx.principal)
    body = user_json(profile, admin=True)
    body["administrator"] = is_admin(ctx)
    body["permissions"] = {
        name: [op for op in OPERATIONS if op in viewer.of(model).policy.operations]
        for name, model in compiled.models.items()}
    if csrf:
        body["csrf_token"] = csrf
    return body


# A sign-in is a username and a password (at most 1024 characters each are checked),
# a CSRF token and a path to go back to: a few kilobytes even as percent-encoded
# Chinese. Refusing more before reading it keeps an anonymous caller from making the
# server parse megabytes ahead of any credential check.
SIGN_IN_MAX_BYTES = 16 * 1024


def limit_sign_in_body(lang: str) -> None:
    """413 for a sign-in request longer than SIGN_IN_MAX_BYTES, before it is read."""
    length = request.content_length
    if length is not None and length > SIGN_IN_MAX_BYTES:
        raise TooLarge(message("sign_in_too_large", lang, max=SIGN_IN_MAX_BYTES))
    request.max_content_length = SIGN_IN_MAX_BYTES  # a body without Content-Length


def client_address() -> str:
    # ProxyFix (settings.proxy_count) has already put the client's address here.
    return request.remote_addr or "unknown"


def require_current_password(ctx: Context, username: str, current: str | None,
                             missing: str = "current_password") -> None:
    """``current`` must be the password of ``username``: 422 under
    ``current_password`` when it is missing (the message ``missing``) or wrong,
    429 past the sign-in limits. Every wrong guess counts as a failed sign-in."""
    lang = ctx.locale
    if current is None:
        raise Invalid({"current_password": [message(missing, lang)]})
    try:
        right = check_current_password(platform(), username, current,
                                       address=client_address(), now=ctx.now)
    except SignInThrottled as exc:
        raise TooManyRequests(message("signin_throttled", lang, seconds=exc.retry_after),
                              exc.retry_after) from None
    if not right:
        raise Invalid({"current_password": [message("wrong_password", lang)]})


def begin_browser_session(signed: SignedIn) -> None:
    """Hold the new session in the cookie; a fresh cookie, so nothing an attacker
    planted before sign-in survives it (session fixation). A session this browser
    held before ends: one browser, one session."""
    end_browser_session()
    session[SESSION_KEY] = signed.session.key
    session.permanent = True


def end_browser_session() -> None:
    key = session.get(SESSION_KEY)
    if key:
        plat = platform()
        with plat.writing() as conn:
            end_session(conn, plat.compiled.metadata, str(key), utcnow())
    session.clear()
