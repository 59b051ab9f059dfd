"""Rate limits per intake source: at most N requests in each fixed window of W seconds.

With Redis configured every process shares one count per source and window (an
``INCR`` on a key that expires with its window); without it, each process counts its
own (a single server, as the embedded setup is). If Redis cannot be reached the
process counts on its own rather than refusing every lead."""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

log = logging.getLogger("metacrm.intake")
KEY_PREFIX = "metacrm:intake:rate:"


class MemoryLimiter:
    """Counts per key and window in this process."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window, count)
        self._lock = threading.Lock()

    def wait(self, key: str, requests: int, per_seconds: int, now: float | None = None
             ) -> int | None:
        """Count one request; the seconds to wait when it is over the limit, else None."""
        now = time.time() if now is None else now
        window = int(now // per_seconds)
        with self._lock:
            seen, count = self._counts.get(key, (window, 0))
            count = count + 1 if seen == window else 1
            self._counts[key] = (window, count)
        return _wait(count, requests, per_seconds, now)


class RedisLimiter:
    """Counts shared by every process through Redis."""

    def __init__(self, redis: Any, fallback: MemoryLimiter | None = None):
        self.redis = redis
        self.fallback = fallback or MemoryLimiter()

    @classmethod
    def from_url(cls, url: str) -> RedisLimiter:
        from redis import Redis
        return cls(Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0))

    def wait(self, key: str, requests: int, per_seconds: int, now: float | None = None
             ) -> int | None:
        now = time.time() if now is None else now
        window = int(now // per_seconds)
        name = f"{KEY_PREFIX}{key}:{per_seconds}:{window}"
        try:
            pipe = self.redis.pipeline()
            pipe.incr(name)
            pipe.expire(name, per_seconds + 1)
            count = int(pipe.execute()[0])
        except Exception as exc:  # Redis away: limits still hold, per process
            log.warning("intake rate limit: Redis unavailable (%s); counting in-process", exc)
            return self.fallback.wait(key, requests, per_seconds, now)
        return _wait(count, requests, per_seconds, now)


Limiter = MemoryLimiter | RedisLimiter


def limiter_for(redis_url: str | None) -> Limiter:
    return RedisLimiter.from_url(redis_url) if redis_url else MemoryLimiter()


def _wait(count: int, requests: int, per_seconds: int, now: float) -> int | None:
    if count <= requests:
        return None
    window_end = (int(now // per_seconds) + 1) * per_seconds
    return max(1, math.ceil(window_end - now))
