"""Why a migration did not happen, or did not finish, in words a person can act on.

``MigrationRefused``: the plan refuses something, nothing was run.
``MigrationFailed``: a statement failed and its transaction was rolled back;
``MigrationLockTimeout`` when the table could not be locked in time.
``IndexBuildFailed``: a concurrent index build failed after the transaction
committed; its leftover was dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import checks
from .actions import Action, AddIndex, Refusal

# SQLSTATEs: lock_not_available (lock_timeout), query_canceled (statement_timeout).
_LOCK_NOT_AVAILABLE = "55P03"
_QUERY_CANCELED = "57014"


class MigrationRefused(Exception):
    """The plan refuses some changes; nothing was run.  ``refusals`` says which and why."""

    def __init__(self, refusals: Sequence[Refusal]):
        self.refusals = tuple(refusals)
        lines = "\n".join(f"  REFUSED: {r.describe()}" for r in self.refusals)
        super().__init__(f"migration refused, nothing was changed:\n{lines}")


class PlanOutdated(MigrationRefused):
    """The database schema changed after the plan was made; plan again."""

    def __init__(self) -> None:
        super().__init__(
            [
                Refusal(
                    "plan",
                    "the database schema changed since this plan was made (another migration ran)",
                    "make a new plan and apply that",
                )
            ]
        )


class MigrationFailed(Exception):
    """An action failed; the transaction was rolled back and nothing was changed.

    ``reason`` is what went wrong: the database's message, or a plainer one
    (the values a unique index would not take, the limit a statement hit).
    """

    def __init__(self, action: Action, error: BaseException, reason: str = ""):
        self.action = action
        self.error = error
        self.reason = reason or str(getattr(error, "orig", None) or error).strip()
        super().__init__(self.summary())

    def summary(self) -> str:
        return (
            f"migration rolled back, nothing was changed: "
            f"'{self.action.describe()}' failed: {self.reason}"
        )


class MigrationLockTimeout(MigrationFailed):
    """The table stayed locked by other transactions longer than the lock timeout."""

    def __init__(self, action: Action, error: BaseException, seconds: float, attempts: int):
        tries = f", {attempts} times" if attempts > 1 else ""
        super().__init__(
            action,
            error,
            f"could not lock table {action.table}: other transactions held it longer than "
            f"the migration lock timeout ({seconds:g} s{tries}); try again when it is less "
            f"busy, or raise METACRM_MIGRATION_LOCK_TIMEOUT",
        )


class IndexBuildFailed(MigrationFailed):
    """A concurrent index build failed after the migration's transaction committed.

    The INVALID index it left was dropped; the transaction's changes and the
    indexes in ``built`` stay.  Planning again offers the index again.
    """

    def __init__(
        self, action: Action, error: BaseException, reason: str = "", built: Sequence[Action] = ()
    ):
        self.built = tuple(built)
        super().__init__(action, error, reason)

    def summary(self) -> str:
        return (
            f"'{self.action.describe()}' failed: {self.reason}; the index was removed again"
        )


def is_lock_timeout(exc: BaseException) -> bool:
    return _sqlstate(exc) == _LOCK_NOT_AVAILABLE


def is_statement_timeout(exc: BaseException) -> bool:
    return _sqlstate(exc) == _QUERY_CANCELED


def _sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of the database error behind ``exc`` (wrapped by SQLAlchemy or by
    ``MigrationFailed``)."""
    for _ in range(5):
        if exc is None:
            return None
        state = getattr(exc, "sqlstate", None)
        if state:
            return str(state)
        exc = getattr(exc, "orig", None) or getattr(exc, "error", None) or exc.__cause__
    return None


def failure_reason(
    conn: Connection, action: Action, error: BaseException, statement_timeout: float | None
) -> str:
    """A plainer reason than the database's for the failures a person can fix, or "".

    ``conn`` must be usable (the failed statement's transaction rolled back):
    for a unique index, it is asked which values stood in the way.
    """
    if is_statement_timeout(error) and statement_timeout:
        return (
            f"it ran longer than the migration statement timeout ({statement_timeout:g} s); "
            "raise METACRM_MIGRATION_STATEMENT_TIMEOUT (0: no limit)"
        )
    if not (isinstance(action, AddIndex) and action.unique):
        return ""
    if not isinstance(error, sa.exc.IntegrityError) or "(expression)" in action.columns:
        return ""
    try:
        found = checks.duplicates(conn, action.table, action.columns, action.where)
    except sa.exc.DBAPIError:
        return ""  # the database's own message names one of them
    if not found:
        return ""
    names = ", ".join(action.columns)
    shared = ", ".join(
        f"{names} {', '.join(repr(v) for v in values)} ({count} rows)" for values, count in found
    )
    among = f" (among rows where {action.where})" if action.where else ""
    return f"more than one row holds the same value{among}: {shared}; make them unique first"
