"""Create SQLAlchemy engines that behave the same on SQLite and PostgreSQL.

SQLite needs three adjustments to be a faithful stand-in: foreign keys on,
WAL so readers don't block the writer, and real transactions around DDL (the
stdlib driver otherwise commits implicitly before ``CREATE``/``ALTER``, which
would let a failed migration leave half its changes behind).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

WRITE_OPTION = "metacrm_write"


def writer(engine: Engine) -> Engine:
    """The same engine, for transactions that will write (see ``_on_begin``)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    engine = sa.create_engine(url, **kwargs)
    _ping_after_idle(engine)
    _session_in_utc(engine)
    typed_id_arrays(engine)
    return engine


class IdArrayText(str):
    """Ids as the text of a PostgreSQL ``bigint[]`` (``{1,2,3}``), sent as that text
    with the array's type: psycopg dumps a list item by item in Python (0.3 ms for a
    line director's 500 people, a fifth of their list), while a text goes as it is
    and the server reads it as the array it names. A cast in the SQL instead would
    hide the array from the planner, which then read the text again for every row."""


def typed_id_arrays(engine: Engine) -> None:
    """Send ``IdArrayText`` as the ``bigint[]`` it writes on ``engine``'s psycopg
    connections (make_engine's do; an engine made elsewhere is given it by
    Platform.build)."""
    if engine.dialect.driver == "psycopg" and not sa.event.contains(
            engine, "connect", _send_id_arrays_typed):
        sa.event.listen(engine, "connect", _send_id_arrays_typed)


def _send_id_arrays_typed(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.adapters.register_dumper(IdArrayText, _id_array_dumper())


@lru_cache(maxsize=1)
def _id_array_dumper() -> type:
    from psycopg.adapt import Dumper  # (only where PostgreSQL is used)

    class IdArrayDumper(Dumper):
        oid = 1016  # bigint[] (int8's array type, fixed in PostgreSQL's catalog)

        def dump(self, obj: Any) -> bytes:
            return str(obj).encode()

    return IdArrayDumper


def _session_in_utc(engine: Engine) -> None:
    """Each PostgreSQL session answers in UTC, whatever the server's or the database's
    ``TimeZone``: a ``timestamptz`` is then read as the driver gives it (fieldtypes/
    storage.py's UtcDateTime converts none), and a moment reads the same everywhere."""
    @sa.event.listens_for(engine, "connect")
    def _set_utc(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
        finally:
            dbapi_connection.autocommit = autocommit


# A pooled connection is checked with a round trip before use only after it sat
# idle this long. A connection in steady use needs no check (SQLAlchemy's
# pool_pre_ping pays one on every checkout, ~15% of a simple request); one left
# idle across a database restart or a firewall's timeout is found dead and
# replaced before a request sees it.
IDLE_BEFORE_PING = 5.0
_LAST_USED = "metacrm_last_used"


def _ping_after_idle(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:  # what a ping's failure raises
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                # The pool discards this connection and checks out a new one.
                raise sa.exc.DisconnectionError(str(exc)) from exc
            raise


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for another database or one in memory."""
    if not normalize_url(url).startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    if path and path != ":memory:" and not path.startswith("file:"):
        return path
    return None


def planning_engine(url: str) -> Engine:
    """An engine to plan against without changing anything: a SQLite file that does
    not exist yet is planned as an empty database in memory (connecting would create
    the file, and its folder)."""
    path = sqlite_file(url)
    if path is not None and not os.path.exists(path):
        return make_engine("sqlite://")
    return make_engine(url)


def _ensure_sqlite_folder(url: str) -> None:
    """Create the database's folder (0700) and the empty database file (0600) if they
    are missing: the file holds password hashes and every record, and SQLite would
    create it, and its -wal and -shm files after it, readable by everyone (0644
    under the usual umask). An empty file is a valid empty database."""
    path = sqlite_file(url)
    if path:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass


# The SQLite function giving the local day ('YYYY-MM-DD') of a stored UTC moment in a
# time zone (an IANA name): mc_local_date(moment, zone).
LOCAL_DATE = "mc_local_date"


def _local_date(moment: str | None, zone: str) -> str | None:
    if moment is None:
        return None
    value = datetime.fromisoformat(moment)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return value.astimezone(ZoneInfo(zone)).date().isoformat()


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite knows no time zones: reports cut moments into local days with this.
        dbapi_connection.create_function(LOCAL_DATE, 2, _local_date, deterministic=True)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the lock up front (IMMEDIATE): two writers then queue
        # on the busy timeout instead of one failing midway with "database is
        # locked". Readers stay DEFERRED so they never wait for a writer.
        write = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
