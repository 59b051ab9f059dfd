"""Password guessing is slowed down without locking the owner out: 5 failures of
one account from one address, or 20 from one address, within 15 minutes, then 429
with Retry-After for that address, even for the right password; past 5 failures of
an account from anywhere, its password checks are spaced out (15 s, doubling, at
most 15 minutes), except from addresses it signed in from."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.base.context import utcnow
from metacrm.identity.signin import SignInRefused, SignInThrottled, sign_in
from metacrm.web.app import create_app

from .conftest import PASSWORD, add_user, bearer, platform_of


def attempt(client: Any, username: str, password: str, address: str = "127.0.0.1") -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_five_failures_from_an_address_refuse_it_even_the_right_password(crm,
                                                                        anonymous) -> None:
    add_user(crm, "wang")
    for _ in range(5):
        assert attempt(anonymous, "wang", "guess-guess").status_code == 401
    locked = attempt(anonymous, "wang", PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    assert locked.json["errors"]["_request"][0].startswith("Too many failed sign-ins")
    assert "Set-Cookie" not in locked.headers
    # Names are counted without regard to case, as attackers would try.
    assert attempt(anonymous, "WANG", PASSWORD).status_code == 429


def test_guesses_from_elsewhere_never_lock_the_owner_out(crm, anonymous) -> None:
    """The owner signed in from 10.9.9.9 before; guesses from forty other addresses
    neither lock nor slow down the owner there."""
    add_user(crm, "wang")
    assert attempt(anonymous, "wang", PASSWORD, address="10.9.9.9").status_code == 200
    statuses = [attempt(anonymous, "wang", "guess-guess", address=f"10.0.{n // 5}.{n % 5}")
                .status_code for n in range(40)]
    assert statuses == [401] * 5 + [429] * 35  # the account is slowed down for them
    assert attempt(anonymous, "wang", "a typo", address="10.9.9.9").status_code == 401
    assert attempt(anonymous, "wang", PASSWORD, address="10.9.9.9").status_code == 200


def test_the_account_is_slowed_down_not_locked(crm) -> None:
    """Past 5 failures from anywhere, a password check on the account from a new
    address waits 15 s after the last failure, then 30 s, 60 s... at most the
    window: a wait, not a lockout."""
    add_user(crm, "wang")
    platform = platform_of(crm)
    start = utcnow()

    def try_at(seconds: float, password: str, address: str) -> Any:
        return sign_in(platform, "wang", password, address=address, user_agent=None,
                       now=start + timedelta(seconds=seconds))

    for n in range(5):
        with pytest.raises(SignInRefused):
            try_at(n, "guess-guess", f"10.0.0.{n}")
    with pytest.raises(SignInThrottled) as slowed:
        try_at(5, PASSWORD, "192.0.2.7")
    assert slowed.value.limit == "account" and slowed.value.retry_after == 14
    with pytest.raises(SignInRefused):  # 15 s after the last failure: checked again
        try_at(19, "guess-guess", "10.0.0.9")
    with pytest.raises(SignInThrottled) as slowed:  # now 30 s after that one
        try_at(48, PASSWORD, "192.0.2.7")
    assert slowed.value.retry_after == 1
    assert try_at(49, PASSWORD, "192.0.2.7").user.username == "wang"
    # however many failures, the delay stops at the window
    attempts = platform.compiled.metadata.tables["mc_login_attempts"]
    with platform.writing() as conn:
        conn.execute(attempts.insert(), [
            {"username": "wang", "address": f"10.1.0.{n}", "at": start + timedelta(seconds=60 + n)}
            for n in range(10)])
    with pytest.raises(SignInThrottled) as slowed:
        try_at(70, PASSWORD, "192.0.2.8")
    assert 15 * 60 - 10 <= slowed.value.retry_after <= 15 * 60


def test_the_sign_in_page_is_limited_the_same_way(crm, anonymous) -> None:
    add_user(crm, "wang")
    for _ in range(5):
        attempt(anonymous, "wang", "guess-guess")
    page = anonymous.get("/login?lang=en")
    token = page.data.decode().split('name="csrf_token" value="')[1].split('"')[0]
    response = anonymous.post("/login", data={"username": "wang", "password": PASSWORD,
                                              "csrf_token": token})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins; try again in" in response.data.decode()


def test_one_address_trying_many_accounts_is_stopped_at_twenty(crm, anonymous) -> None:
    add_user(crm, "wang")
    for n in range(20):
        assert attempt(anonymous, f"guess{n}", "guess-guess").status_code == 401
    blocked = attempt(anonymous, "wang", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    # Another address is not affected, and neither is the account itself.
    assert attempt(anonymous, "wang", PASSWORD, address="10.1.2.3").status_code == 200


def test_success_clears_the_failures_from_that_address(crm, anonymous) -> None:
    add_user(crm, "wang")
    for _ in range(4):
        attempt(anonymous, "wang", "guess-guess")
    assert attempt(anonymous, "wang", PASSWORD).status_code == 200
    for _ in range(4):
        assert attempt(anonymous, "wang", "guess-guess").status_code == 401
    assert attempt(anonymous, "wang", PASSWORD).status_code == 200


def test_the_lock_lifts_when_the_window_has_passed(crm, anonymous) -> None:
    add_user(crm, "wang")
    for _ in range(5):
        attempt(anonymous, "wang", "guess-guess")
    platform = platform_of(crm)
    now = utcnow()
    with pytest.raises(SignInThrottled) as refused:
        sign_in(platform, "wang", PASSWORD, address="127.0.0.1", user_agent=None,
                now=now + timedelta(minutes=14))
    assert 0 < refused.value.retry_after <= 60 + 1
    signed = sign_in(platform, "wang", PASSWORD, address="127.0.0.1", user_agent=None,
                     now=now + timedelta(minutes=15, seconds=1))
    assert signed.user.username == "wang"


def test_the_settings_set_the_limits(crm) -> None:
    """METACRM_LOGIN_ACCOUNT_LIMIT, _ADDRESS_LIMIT and _WINDOW_MINUTES."""
    settings = dataclasses.replace(platform_of(crm).settings, login_account_limit=2,
                                   login_window_minutes=1)
    strict = create_app(settings)
    try:
        add_user(crm, "wang")
        client = strict.test_client()
        for _ in range(2):
            assert attempt(client, "wang", "guess-guess").status_code == 401
        locked = attempt(client, "wang", PASSWORD)
        assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 61
    finally:
        strict.extensions["metacrm"].engine.dispose()


def test_guessing_the_current_password_counts_as_failed_sign_ins(crm, anonymous) -> None:
    wang = add_user(crm, "wang")
    headers = bearer(crm, "wang")
    url = f"/api/users/{wang['id']}"
    for _ in range(5):
        guess = crm.patch(url, json={"password": "new-password", "current_password": "guess"},
                          headers=headers)
        assert guess.status_code == 422
    locked = crm.patch(url, json={"password": "new-password", "current_password": PASSWORD},
                       headers=headers)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert attempt(anonymous, "wang", PASSWORD).status_code == 429


def test_parallel_guesses_cannot_get_past_the_limit(crm) -> None:
    """Twelve wrong passwords at once for one account (from twelve addresses): each
    attempt is counted before its password is checked, so exactly five are checked
    (401) and the rest slowed down unchecked (429), however they interleave."""
    add_user(crm, "wang")
    start = threading.Barrier(12)
    statuses: list[int] = []

    def guess(n: int) -> None:
        client = crm.application.test_client()
        start.wait()
        statuses.append(attempt(client, "wang", f"guess-{n:04d}", address=f"10.0.0.{n}")
                        .status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 7


def test_parallel_guesses_of_the_current_password_cannot_get_past_the_limit(crm) -> None:
    wang = add_user(crm, "wang")
    headers = bearer(crm, "wang")
    start = threading.Barrier(12)
    statuses: list[int] = []

    def guess(n: int) -> None:
        client = crm.application.test_client()
        start.wait()
        statuses.append(client.patch(f"/api/users/{wang['id']}", headers=headers, json={
            "password": "new-password", "current_password": f"guess-{n:04d}"}).status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [422] * 5 + [429] * 7


def test_a_right_password_leaves_no_failure_behind(crm, anonymous) -> None:
    """The attempt is counted as failed until the password proves right; then it is
    forgotten, for the address too."""
    add_user(crm, "wang")
    assert attempt(anonymous, "wang", PASSWORD).status_code == 200
    platform = platform_of(crm)
    attempts = platform.compiled.metadata.tables["mc_login_attempts"]
    with platform.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(attempts)).scalar() == 0


def test_addresses_unused_for_thirty_days_are_forgotten(crm, anonymous) -> None:
    from metacrm.identity.throttle import purge_failures

    add_user(crm, "wang")
    assert attempt(anonymous, "wang", PASSWORD, address="10.9.9.9").status_code == 200
    platform = platform_of(crm)
    known = platform.compiled.metadata.tables["mc_signin_addresses"]
    with platform.reading() as conn:
        assert conn.execute(sa.select(known.c.username, known.c.address)).all() == [
            ("wang", "10.9.9.9")]
    with platform.writing() as conn:
        purge_failures(conn, platform.compiled.metadata, utcnow() + timedelta(days=29))
        assert conn.execute(sa.select(sa.func.count()).select_from(known)).scalar() == 1
        purge_failures(conn, platform.compiled.metadata, utcnow() + timedelta(days=31))
        assert conn.execute(sa.select(sa.func.count()).select_from(known)).scalar() == 0
