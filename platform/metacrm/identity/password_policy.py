"""What a new password must be: long enough (``METACRM_PASSWORD_MIN_LENGTH``, 10 by
default, never under 8) and not one of the common passwords that attackers try
first (``common-passwords.txt``, shipped with the package, compared without regard
to case). Applied wherever a password is set: the API, the ``metacrm user``
commands and the demo. Signing in checks none of this, so that a password set
under an older rule still works until it is changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from ..config import Settings
from ..i18n import message

MIN_LENGTH_FLOOR = 8
DEFAULT_MIN_LENGTH = 10
# argon2 would hash megabytes; nobody types that.
MAX_LENGTH = 1024


@dataclass(frozen=True)
class Refusal:
    """Why a password is refused: a message key of ``i18n`` and its parameters."""

    key: str
    params: Mapping[str, object]

    def text(self, lang: str) -> str:
        return message(self.key, lang, **self.params)


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = DEFAULT_MIN_LENGTH

    def __post_init__(self) -> None:
        if self.min_length < MIN_LENGTH_FLOOR:
            raise ValueError(f"a password policy needs at least {MIN_LENGTH_FLOOR} "
                             f"characters, not {self.min_length}")

    def refusal(self, password: str) -> Refusal | None:
        """Why ``password`` may not be set, or None if it may."""
        if len(password) < self.min_length:
            return Refusal("password_short", {"min": self.min_length})
        if len(password) > MAX_LENGTH:
            return Refusal("max_length", {"max": MAX_LENGTH})
        if is_common(password):
            return Refusal("password_common", {})
        return None


def policy_of(settings: Settings) -> PasswordPolicy:
    return PasswordPolicy(settings.password_min_length)


def is_common(password: str) -> bool:
    return password.strip().casefold() in _common_passwords()


@cache
def _common_passwords() -> frozenset[str]:
    # Read once per process, on first use (never at import): ~8,000 short lines.
    text = files(__package__).joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))
