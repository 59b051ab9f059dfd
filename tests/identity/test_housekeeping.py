"""The housekeeping task deletes what no longer counts: ended sessions and sign-in
failures older than a day. Live sessions and recent failures stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from .conftest import add_user, platform_of, signed_in


def _count(crm, table: str) -> int:  # type: ignore[no-untyped-def]
    platform = platform_of(crm)
    with platform.reading() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(
            platform.compiled.metadata.tables[table])).scalar_one())


def test_housekeeping_deletes_ended_sessions_and_old_failures(crm) -> None:
    from metacrm.jobs.tasks import HOUSEKEEPING, perform, run_and_record

    add_user(crm, "wang")
    live = signed_in(crm, "wang")
    ended = signed_in(crm, "wang")
    ended.post("/api/auth/logout", headers={"X-CSRF-Token": ended.csrf})
    for _ in range(3):
        crm.application.test_client().post("/api/auth/login",
                                           json={"username": "wang", "password": "wrong!!!"})
    platform = platform_of(crm)
    attempts = platform.compiled.metadata.tables["mc_login_attempts"]
    with platform.writing() as conn:  # two of the failures are two days old
        oldest = sorted(conn.execute(sa.select(attempts.c.id)).scalars())[:2]
        conn.execute(attempts.update().where(attempts.c.id.in_(oldest)).values(
            at=datetime.now(UTC) - timedelta(days=2)))
    assert (_count(crm, "mc_sessions"), _count(crm, "mc_login_attempts")) == (2, 3)

    preview = perform(platform, HOUSEKEEPING, datetime.now(UTC), dry_run=True)
    assert preview.summary == ("would delete 1 ended session(s), 2 old sign-in failure(s) and "
                               "0 security event(s) older than 180 days")
    assert _count(crm, "mc_sessions") == 2
    outcome = run_and_record(platform, HOUSEKEEPING, datetime.now(UTC))
    assert outcome.result == {"sessions": 1, "sign_in_failures": 2, "security_events": 0}
    assert (_count(crm, "mc_sessions"), _count(crm, "mc_login_attempts")) == (1, 1)
    assert live.get("/api/users/me").status_code == 200

    a_day_later = datetime.now(UTC) + timedelta(days=8)  # past every session's lifetime
    assert run_and_record(platform, HOUSEKEEPING, a_day_later).result == {
        "sessions": 1, "sign_in_failures": 1, "security_events": 0}
