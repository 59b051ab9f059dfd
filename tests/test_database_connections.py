"""A pooled connection that died while it sat idle (a database restart, a killed
backend) is replaced before a request uses it: the request never sees the error."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from metacrm import db


@pytest.fixture
def postgres_url(db_url: str) -> str:
    if db.is_sqlite(db_url):
        pytest.skip("needs PostgreSQL: set METACRM_DATABASE_URL")
    return db_url


def _backend(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _kill(url: str, pid: int) -> None:
    killer = sa.create_engine(db.normalize_url(url), poolclass=sa.NullPool)
    with killer.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()


def test_a_session_answers_in_utc_whatever_the_servers_zone(postgres_url: str) -> None:
    # A server (or a database) set to Shanghai's time would hand every timestamptz back
    # at +08:00, which the engine reads as the driver gives it.
    shanghai = postgres_url + ("&" if "?" in postgres_url else "?") + \
        "options=-c%20TimeZone%3DAsia/Shanghai"
    engine = db.make_engine(shanghai, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW TimeZone").scalar_one() == "UTC"
            moment = conn.exec_driver_sql(
                "SELECT timestamptz '2026-12-03 09:30:00+08:00'").scalar_one()
            assert moment.utcoffset().total_seconds() == 0 and moment.hour == 1
    finally:
        engine.dispose()


def test_a_connection_killed_while_idle_is_replaced_unseen(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = _backend(engine)
        _kill(postgres_url, first)
        monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)  # as if it idled long enough
        second = _backend(engine)
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.make_engine(postgres_url, pool_size=1, max_overflow=0)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
    try:
        for _ in range(3):
            _backend(engine)
        assert pings == []
        monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)
        _backend(engine)
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_a_request_on_a_connection_lost_mid_use_is_503_and_the_next_one_works(
        crm, postgres_url: str) -> None:
    """Within the idle window a dead connection is not caught beforehand: that one
    request gets a clear 503 (nothing was written), and the pool is renewed."""
    platform = crm.application.extensions["metacrm"]
    platform.engine.dispose()  # from here on, the app's connections are new ones
    watcher = sa.create_engine(db.normalize_url(postgres_url), poolclass=sa.NullPool)
    with watcher.connect() as conn:
        since = conn.exec_driver_sql("SELECT clock_timestamp()").scalar_one()
        assert crm.get("/api/customer?limit=1").status_code == 200
        pids = list(conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE backend_start > :since "
            "AND datname = current_database() "
            "AND pid <> pg_backend_pid()"), {"since": since}).scalars())
        assert pids
        for pid in pids:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    watcher.dispose()
    lost = crm.post("/api/customer", json={"name": "不会写入"},
                    headers={"Accept-Language": "zh"})
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "1"
    assert "未做任何更改" in lost.json["errors"]["_request"][0]
    again = crm.get("/api/customer?q=不会写入")
    assert again.status_code == 200 and again.json["items"] == []
