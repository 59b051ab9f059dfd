"""One database connection per request: authentication and the endpoint's reads
share it (and its transaction: one snapshot), and a write runs on the same
connection: on PostgreSQL it goes on in the transaction authentication began
(READ COMMITTED: each statement sees what is committed when it runs, so the
transaction being older changes nothing but saves a ROLLBACK and a BEGIN); on
SQLite, where a writer must start as one (BEGIN IMMEDIATE) rather than upgrade a
reader, the read transaction is ended and a write transaction begun. Closed when
the request ends (a transaction still open is rolled back).

Only the blueprints and endpoints registered with ``init_request_connections`` run
on it (the records API, the approvals API, the reports API, the pages that only read
an entity's records); the others open their own connections, so authentication gives its
connection back before they run rather than hold two per request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask, current_app, g, request

from ..db import WRITE_OPTION
from ..platform import Platform

_KEY = "metacrm_connection"
_SHARING = "metacrm_shared_connection_blueprints"


def _platform() -> Platform:
    return current_app.extensions["metacrm"]


def shares_request_connection() -> bool:
    """Whether this request's endpoint runs on the request's connection (its blueprint
    or the endpoint itself was registered)."""
    sharing = current_app.extensions.get(_SHARING, ())
    return request.blueprint in sharing or request.endpoint in sharing


def request_connection() -> sa.Connection:
    """The request's connection, checked out from the pool on first use."""
    conn = g.get(_KEY)
    if conn is None:
        conn = g.metacrm_connection = _platform().engine.connect()
    return conn


@contextmanager
def request_reading() -> Iterator[sa.Connection]:
    """The request's connection, in the read transaction authentication began."""
    yield request_connection()


@contextmanager
def request_writing() -> Iterator[sa.Connection]:
    """A write transaction on the request's connection, committed when the block ends
    and rolled back if it raises: the read transaction still open goes on as it on
    PostgreSQL, and is ended first on SQLite (see the module's docstring)."""
    conn = request_connection()
    if conn.in_transaction() and conn.dialect.name == "sqlite":
        conn.rollback()
    conn.execution_options(**{WRITE_OPTION: True})
    try:
        with conn.get_transaction() or conn.begin():
            yield conn
    finally:
        conn.execution_options(**{WRITE_OPTION: False})


@contextmanager
def authentication_reading() -> Iterator[sa.Connection]:
    """Where authentication reads: the request's connection when the endpoint runs on
    it too, else a connection of its own, given back at once."""
    with shared_reading() as conn:
        yield conn


@contextmanager
def shared_reading() -> Iterator[sa.Connection]:
    """A read on the request's connection (and in its transaction) when the endpoint
    runs on it, else on a connection of its own, given back when the block ends."""
    if shares_request_connection():
        yield request_connection()
    else:
        with _platform().reading() as conn:
            yield conn


def close_request_connection(_exc: BaseException | None = None) -> None:
    conn = g.pop(_KEY, None)
    if conn is not None:
        conn.close()


def init_request_connections(app: Flask, *names: str) -> None:
    """Close each request's connection when it ends; the blueprints and endpoints
    ``names`` run on it."""
    app.extensions[_SHARING] = frozenset(names)
    app.teardown_appcontext(close_request_connection)
