"""Who does an operation, with which rights, when, and in which language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Principal:
    """The caller: a user with roles, or the platform itself."""

    user_id: int | None
    roles: frozenset[str] = frozenset()
    admin: bool = False  # the user's own flag (`metacrm user create --admin`)
    # The platform acting on its own (demo data, scheduled jobs): no permission applies.
    system: bool = False
    # The credentials version this caller was read under (identity/credentials.py), when
    # known: what the request may keep per version (the people a scope reaches) is good
    # for it. Not part of who the caller is.
    credentials: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Context:
    """Passed explicitly to every operation; the audit trail records ``user_id``."""

    principal: Principal
    locale: str = "en"
    now: datetime = field(default_factory=utcnow)

    @property
    def user_id(self) -> int | None:
        return self.principal.user_id

    @classmethod
    def system(cls, user_id: int | None = None, locale: str = "en",
               now: datetime | None = None) -> Context:
        """The platform itself, acting (and audited) as ``user_id`` if given."""
        return cls(Principal(user_id, system=True), locale, now or utcnow())
