"""Which language a page speaks: the one the visitor just picked (``?lang=``),
else the signed-in user's profile language, else the browser's."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import get_translations

from ..definitions import LANGUAGES
from ..i18n import negotiate_language


def choose_language(profile_language: str | None) -> str:
    picked = request.args.get("lang")
    if picked in LANGUAGES:
        chosen = picked
    elif profile_language in LANGUAGES:
        chosen = profile_language
    else:
        chosen = negotiate_language(request.headers.get("Accept-Language"))
    g.metacrm_page_language = chosen
    return chosen


def babel_locale() -> str:
    """Flask-Babel's locale: the page's language once chosen, the browser's before."""
    chosen = g.get("metacrm_page_language")
    return chosen or negotiate_language(request.headers.get("Accept-Language"))


def install_page_gettext(app: Flask) -> None:
    """The templates' ``_``/``gettext`` (after Flask-Babel's own install), reading the
    request's translations once: Flask-Babel looks up its context, domain and locale on
    every call, and a page makes dozens. Same catalogue: Flask-Babel too keeps the
    locale it first chose for the rest of the request."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)


def _translations() -> Any:
    if not g:  # no request: Flask-Babel's answer (no translation)
        return get_translations()
    found = g.get("metacrm_translations")
    if found is None:
        found = g.metacrm_translations = get_translations()
    return found
