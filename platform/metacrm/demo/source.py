"""The random source of a demo run: people, phone numbers, dates, amounts."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..plugins import CreateMany as CreateMany
from .vocabulary import (
    GIVEN_CHARS,
    HISTORY_DAYS,
    MOBILE_PREFIXES,
    SURNAMES,
)

LIFECYCLE_AGES = {  # how long ago (days) a customer of each lifecycle came in
    "customer": (120, HISTORY_DAYS),
    "opportunity": (30, 540),
    "lead": (1, 365),
    "potential": (1, 240),
    "public_pool": (90, HISTORY_DAYS),
}

_SURNAME_WEIGHTS = [((s, p), w) for s, p, w in SURNAMES]


class Gen:
    """Shared state of one generation run: the random source and the dates."""

    def __init__(
        self, seed: int, today: date, users: Sequence[int], engineers: Sequence[int] = ()
    ) -> None:
        self.rng = random.Random(seed)
        # When records came in is drawn from a stream of its own, so the field values
        # stay what the main stream makes them.
        self.history = random.Random(f"{seed}-history")
        self.today = today
        self.users = list(users)
        # who does the service work (demos, deployments, tickets); salespeople stand in
        # when no engineer is given
        self.engineers = list(engineers) or list(users)

    def pick(self, items: Sequence[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def weighted(self, pairs: Sequence[tuple[Any, int]]) -> Any:
        return self.rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]

    def user(self) -> int | None:
        return self.pick(self.users) if self.users else None

    def engineer(self) -> int | None:
        return self.pick(self.engineers) if self.engineers else None

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def lognormal(self, median: float, sigma: float, lo: float, hi: float) -> float:
        return min(hi, max(lo, median * math.exp(self.rng.gauss(0.0, sigma))))

    def days_ago(self, lo: int = 1, hi: int = HISTORY_DAYS) -> date:
        return self.today - timedelta(days=self.rng.randint(lo, hi))

    def came_in(self, lo: int, hi: int) -> date:
        """A day between ``hi`` and ``lo`` days ago, from the history stream."""
        return self.today - timedelta(days=self.history.randint(lo, hi))

    def entered(self, day: date) -> datetime:
        """The moment a record of ``day`` was entered: 10:00 Beijing time."""
        return datetime.combine(min(day, self.today - timedelta(days=1)), time(2, 0),
                                tzinfo=UTC)

    def work_time(self, day: date) -> str:
        # 09:00–18:30 Beijing time is 01:00–10:30 UTC
        minute = self.rng.randrange(60, 630)
        moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=UTC)
        return moment.isoformat()

    def mobile(self) -> str:
        return self.pick(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def person(self) -> tuple[str, str, str]:
        """A Chinese name: (name, surname pinyin, given-name pinyin)."""
        surname, spy = self.weighted(_SURNAME_WEIGHTS)
        chars = [self.pick(GIVEN_CHARS) for _ in range(1 if self.chance(0.35) else 2)]
        return surname + "".join(c for c, _ in chars), spy, "".join(p for _, p in chars)


def day_time(day: date, hour: int, minute: int = 0) -> str:
    """A moment of ``day`` (UTC) as the API takes it."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC).isoformat()


def money(value: float) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
