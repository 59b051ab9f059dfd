"""The sign-in page and sign-out form, and the browser session they start and end.

The page is a plain HTML form. Being anonymous, it cannot use a session's CSRF
token, so it gets its own random token kept in Flask's signed cookie; sign-out
is a session-authenticated form, checked by ``web/auth.py`` like any other
unsafe request. After signing in, the browser goes back to ``next`` only if it
is a path on this site (no open redirect).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for

from ..base.context import utcnow
from ..base.problems import BadQuery, Forbidden, Unauthorized
from ..i18n import message, negotiate_language
from ..identity.signin import SignInRefused, SignInThrottled, sign_in
from .auth import current_context, optional_context, same_secret
from .identity_views import (
    begin_browser_session,
    client_address,
    end_browser_session,
    limit_sign_in_body,
)
from .requests import platform, refuse_nul_values

login = Blueprint("metacrm_login", __name__, template_folder="templates")

LOGIN_CSRF = "login_csrf"
TEXTS = {
    "en": {"title": "Sign in", "username": "Username", "password": "Password",
           "submit": "Sign in", "expired": "This form has expired; please sign in again.",
           "forbidden": "This request was refused: the form's security token is missing or "
                        "out of date. Reload the page and try again."},
    "zh": {"title": "登录", "username": "用户名", "password": "密码", "submit": "登录",
           "expired": "表单已过期，请重新登录。",
           "forbidden": "请求被拒绝：表单的安全令牌缺失或已过期。请刷新页面后重试。"},
}


def page_language() -> str:
    lang = request.values.get("lang") or negotiate_language(
        request.headers.get("Accept-Language"))
    return lang if lang in TEXTS else "en"


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site, else ``/``: never another host."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    # Browsers read "/\\host" as "//host"; control characters and spaces have no
    # business in a path we made.
    if "\\" in value or any(ord(c) < 0x21 or c == "\x7f" for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


@login.get("/login")
def form() -> Any:
    next_path = safe_next(request.args.get("next"))
    if optional_context() is not None:
        return redirect(next_path, 303)
    return _page(page_language(), next_path)


@login.post("/login")
def submit() -> Any:
    limit_sign_in_body(negotiate_language(request.headers.get("Accept-Language")))
    lang = page_language()
    next_path = safe_next(request.form.get("next"))
    sent, expected = request.form.get("csrf_token"), session.get(LOGIN_CSRF)
    if not sent or not expected or not same_secret(sent, str(expected)):
        return _page(lang, next_path, error=TEXTS[lang]["expired"], status=403)
    try:
        refuse_nul_values()
    except BadQuery:
        return _page(lang, next_path, error=message("nul_character", lang), status=400)
    username = request.form.get("username", "")
    try:
        signed = sign_in(platform(), username, request.form.get("password", ""),
                         address=client_address(), user_agent=request.user_agent.string,
                         now=utcnow(), via="page")
    except SignInThrottled as exc:
        response = _page(lang, next_path, username=username, status=429,
                         error=message("signin_throttled", lang, seconds=exc.retry_after))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SignInRefused:
        return _page(lang, next_path, username=username, status=401,
                     error=message("signin_refused", lang))
    begin_browser_session(signed)
    return redirect(next_path, 303)


@login.post("/logout")
def logout() -> Any:
    try:
        current_context()  # a session's unsafe request: checks its CSRF token
    except Unauthorized:
        session.clear()  # already ended: nothing more to do
        return redirect(url_for("metacrm_login.form"), 303)
    except Forbidden:
        lang = page_language()
        return _page(lang, "/", error=TEXTS[lang]["forbidden"], status=403)
    end_browser_session()
    asked = request.form.get("lang")
    return redirect(url_for("metacrm_login.form", lang=asked if asked in TEXTS else None), 303)


def _page(lang: str, next_path: str, *, error: str | None = None, status: int = 200,
          username: str = "") -> Any:
    token = session.get(LOGIN_CSRF)
    if not token:
        token = session[LOGIN_CSRF] = secrets.token_urlsafe(32)
    product = platform().compiled.catalog.product_label
    response = make_response(render_template(
        "login.html", lang=lang, texts=TEXTS[lang], csrf_token=token, next_path=next_path,
        error=error, username=username,
        title=product.get(lang) if product else "metacrm"), status)
    # The password form must not be cached (no page is framed: see web/app.py).
    response.headers["Cache-Control"] = "no-store"
    return response
