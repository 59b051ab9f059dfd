"""Which language a page speaks: the one the visitor just picked (``?lang=``),
else the signed-in user's profile language, else the browser's."""

from __future__ import annotations

from flask import g, request

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
