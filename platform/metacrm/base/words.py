"""Small helpers for messages a person reads."""

from __future__ import annotations


def article(word: str) -> str:
    """'a' or 'an' before ``word`` as our type names are said: an integer, an email,
    an autonumber; a url, a user, a uint (said "you")."""
    return "an" if word[:1].lower() in ("a", "e", "i", "o") else "a"


def with_article(word: str) -> str:
    return f"{article(word)} {word}"
