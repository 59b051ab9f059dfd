"""Sign in with a username and password: rate limited, then a web session.

Used by the sign-in page and by ``POST /api/auth/login``. The attempt is
refused without checking the password while the account or the address has
too many recent failures; a failure is recorded in its own transaction so
that the refusal that follows cannot roll it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..platform import Platform
from .sessions import Session, start_session
from .throttle import Limits, clear_failures, record_failure, retry_after
from .users import User, check_password


class SignInRefused(Exception):
    """Wrong username or password (which one is not said)."""


class SignInThrottled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"too many failed sign-ins; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session


def limits_of(platform: Platform) -> Limits:
    settings = platform.settings
    return Limits(settings.login_account_limit, settings.login_address_limit,
                  timedelta(minutes=settings.login_window_minutes))


def sign_in(platform: Platform, username: str, password: str, *, address: str,
            user_agent: str | None, now: datetime) -> SignedIn:
    metadata = platform.compiled.metadata
    username = username.strip()
    with platform.reading() as conn:
        wait = retry_after(conn, metadata, username, address, now, limits_of(platform))
    if wait is not None:
        raise SignInThrottled(wait)
    with platform.reading() as conn:
        user = check_password(conn, metadata, username, password)
    if user is None:
        with platform.writing() as conn:
            record_failure(conn, metadata, username, address, now)
        raise SignInRefused(username)
    with platform.writing() as conn:
        clear_failures(conn, metadata, username)
        session = start_session(conn, metadata, user.id, now,
                                lifetime=timedelta(hours=platform.settings.session_max_hours),
                                address=address, user_agent=user_agent)
    return SignedIn(user, session)
