"""Small helpers for messages a person reads."""

from __future__ import annotations

import unicodedata


def article(word: str) -> str:
    """'a' or 'an' before ``word`` as our type names are said: an integer, an email,
    an autonumber; a url, a user, a uint (said "you")."""
    return "an" if word[:1].lower() in ("a", "e", "i", "o") else "a"


def with_article(word: str) -> str:
    return f"{article(word)} {word}"


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` columns of a terminal, where a Chinese
    character takes two (str.ljust counts it as one, and a column of names like 李娜
    comes out ragged)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)
    return text + " " * max(0, width - columns)
