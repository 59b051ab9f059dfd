"""A source sends at most its ``rate_limit`` requests per window: the next is 429 with
Retry-After, counted in-process or, with Redis, across processes."""

from __future__ import annotations

import uuid

import pytest

from metacrm.intake.limits import MemoryLimiter, RedisLimiter

from .conftest import post_lead, records, source_token


def test_over_the_limit_is_429_with_retry_after(intake_client) -> None:
    token = source_token(intake_client, "web_form")  # rate_limit: {requests: 3, per: 1m}
    for name in ("A", "B", "C"):
        assert post_lead(intake_client, token, {"company": name}).status_code == 201
    answer = post_lead(intake_client, token, {"company": "D"})
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert "more than 3 request(s) in 60 s" in answer.json["errors"]["_request"][0]
    assert len(records(intake_client)) == 3
    # another source has its own count (the default: 60 per minute)
    other = source_token(intake_client, "fair_scans")
    assert post_lead(intake_client, other, {"company": "E"}, source="fair_scans"
                     ).status_code == 201


def test_the_window_moves_on() -> None:
    limiter = MemoryLimiter()
    assert [limiter.wait("s", 2, 60, now=120.0 + i) for i in range(3)] == [None, None, 58]
    assert limiter.wait("s", 2, 60, now=180.0) is None  # the next window
    assert limiter.wait("other", 2, 60, now=122.5) is None


def _redis() -> RedisLimiter:
    limiter = RedisLimiter.from_url("redis://127.0.0.1:6379/15")
    try:
        limiter.redis.ping()
    except Exception:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return limiter


def test_with_redis_processes_share_one_count() -> None:
    first, second = _redis(), _redis()  # two processes' limiters
    key = f"test-{uuid.uuid4().hex}"
    assert first.wait(key, 2, 60, now=600.0) is None
    assert second.wait(key, 2, 60, now=601.0) is None
    assert first.wait(key, 2, 60, now=602.0) == 58


def test_redis_away_falls_back_to_counting_in_process() -> None:
    limiter = RedisLimiter.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    assert [limiter.wait("s", 1, 60, now=0.0) for _ in range(2)] == [None, 60]
