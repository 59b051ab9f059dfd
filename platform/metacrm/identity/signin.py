"""Check a password under the sign-in limits, and sign in with it to a web session.

Used by the sign-in page, ``POST /api/auth/login`` and every check of a user's
current password (changing it, minting a token from a browser session), so that
each guess counts against the same limits. One writing transaction takes turns
with every other attempt on the account and from the address, counts their
recent failures, refuses (without checking any password) when there are too
many, and otherwise records this attempt as a failure and commits. Only then is
the password checked, outside any transaction (argon2 is slow on purpose); if it
was right, the attempt is forgotten and the failures from that address cleared.
Parallel guesses thus cannot all be checked before any of them is counted.

The security record gets the same treatment: a refusal is recorded in the
counting transaction (``signin.throttled``), an attempt as ``signin.failed``
until its password proves right, when it becomes ``signin.succeeded`` (a check
of a current password that was right leaves no event: what it allowed does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..platform import Platform
from .security_events import Actor, record_event, settle_event
from .sessions import Session, start_session
from .throttle import (
    Limits,
    forget_attempt,
    record_failure,
    retry_after,
    serialize_attempts,
    signed_in_from,
)
from .users import User, check_password


class SignInRefused(Exception):
    """Wrong username or password (which one is not said)."""


class SignInThrottled(Exception):
    def __init__(self, retry_after: int, limit: str = "account-address"):
        super().__init__(f"too many failed sign-ins; retry in {retry_after} s")
        self.retry_after = retry_after
        self.limit = limit  # which one: "account-address", "address" or "account"


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session


def limits_of(platform: Platform) -> Limits:
    settings = platform.settings
    return Limits(settings.login_account_limit, settings.login_address_limit,
                  timedelta(minutes=settings.login_window_minutes))


def sign_in(platform: Platform, username: str, password: str, *, address: str,
            user_agent: str | None, now: datetime, via: str = "api") -> SignedIn:
    """A new session for the user; SignInThrottled or SignInRefused otherwise.
    ``via``: the way in, for the security record ("api" or "page")."""
    username = username.strip()
    attempt = _count_attempt(platform, username, Actor(None, username, address, via), now)
    metadata = platform.compiled.metadata
    with platform.reading() as conn:
        user = check_password(conn, metadata, username, password)
    if user is None:
        raise SignInRefused(username)
    with platform.writing() as conn:
        _succeeded(conn, metadata, username, address, now, attempt, user.id)
        session = start_session(conn, metadata, user.id, now,
                                lifetime=timedelta(hours=platform.settings.session_max_hours),
                                address=address, user_agent=user_agent)
    return SignedIn(user, session)


def check_current_password(platform: Platform, username: str, password: str, *,
                           address: str, now: datetime) -> bool:
    """Whether ``password`` is the user's; a wrong one counts as a failed sign-in
    (a borrowed session or token must not become a way around the limits).
    SignInThrottled when the account or the address has failed too often."""
    attempt = _count_attempt(platform, username,
                             Actor(None, username, address, "password-check"), now)
    metadata = platform.compiled.metadata
    with platform.reading() as conn:
        right = check_password(conn, metadata, username, password) is not None
    if right:
        with platform.writing() as conn:
            _succeeded(conn, metadata, username, address, now, attempt, None)
    return right


@dataclass(frozen=True)
class _Attempt:
    id: int  # in mc_login_attempts
    event: int | None  # in the security record


def _count_attempt(platform: Platform, username: str, actor: Actor, now: datetime
                   ) -> _Attempt:
    """Record the attempt as failed, in turn with the others. Throttled: raises, with
    the refusal recorded."""
    metadata = platform.compiled.metadata
    address = actor.address
    with platform.writing() as conn:
        serialize_attempts(conn, username, address)
        wait = retry_after(conn, metadata, username, address, now, limits_of(platform))
        if wait is None:
            return _Attempt(record_failure(conn, metadata, username, address, now),
                            record_event(conn, metadata, "signin.failed", actor, now))
        record_event(conn, metadata, "signin.throttled", actor, now,
                     details={"limit": wait.limit, "retry_after": wait.seconds})
    raise SignInThrottled(wait.seconds, wait.limit)


def _succeeded(conn: sa.Connection, metadata: sa.MetaData, username: str, address: str,
               now: datetime, attempt: _Attempt, user_id: int | None) -> None:
    """The password was right. ``user_id``: who signed in (None: a check of the
    current password, which leaves no event)."""
    forget_attempt(conn, metadata, attempt.id)
    signed_in_from(conn, metadata, username, address, now)
    if attempt.event is not None:
        settle_event(conn, metadata, attempt.event,
                     kind="signin.succeeded" if user_id is not None else None, user_id=user_id)
