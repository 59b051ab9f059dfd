"""Who does an operation, when, and in which language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """Passed explicitly to every operation; the audit trail records ``user_id``."""

    user_id: int | None
    locale: str = "en"
    now: datetime = field(default_factory=utcnow)
