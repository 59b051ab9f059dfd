"""One database connection per request: authentication and the endpoint's reads
share it (and its transaction: one snapshot), and a write ends that read
transaction and runs its own on the same connection. Closed when the request
ends (a transaction still open is rolled back).

Only the blueprints registered with ``share_request_connection`` run on it (the
records API); the others open their own connections, so authentication gives its
connection back before they run rather than hold two per request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask, current_app, g, request

from ..db import WRITE_OPTION
from .requests import platform

_KEY = "metacrm_connection"
_SHARING = "metacrm_shared_connection_blueprints"


def request_connection() -> sa.Connection:
    """The request's connection, checked out from the pool on first use."""
    conn = g.get(_KEY)
    if conn is None:
        conn = g.metacrm_connection = platform().engine.connect()
    return conn


@contextmanager
def request_reading() -> Iterator[sa.Connection]:
    """The request's connection, in the read transaction authentication began."""
    yield request_connection()


@contextmanager
def request_writing() -> Iterator[sa.Connection]:
    """A write transaction on the request's connection, committed when the block ends
    and rolled back if it raises. A read transaction still open is ended first: on
    SQLite a writer must start as one (BEGIN IMMEDIATE), not upgrade a reader."""
    conn = request_connection()
    if conn.in_transaction():
        conn.rollback()
    conn.execution_options(**{WRITE_OPTION: True})
    try:
        with conn.begin():
            yield conn
    finally:
        conn.execution_options(**{WRITE_OPTION: False})


@contextmanager
def authentication_reading() -> Iterator[sa.Connection]:
    """Where authentication reads: the request's connection when the endpoint runs on
    it too, else a connection of its own, given back at once."""
    if request.blueprint in current_app.extensions.get(_SHARING, ()):
        yield request_connection()
    else:
        with platform().reading() as conn:
            yield conn


def close_request_connection(_exc: BaseException | None = None) -> None:
    conn = g.pop(_KEY, None)
    if conn is not None:
        conn.close()


def init_request_connections(app: Flask, *blueprints: str) -> None:
    """Close each request's connection when it ends; ``blueprints`` run on it."""
    app.extensions[_SHARING] = frozenset(blueprints)
    app.teardown_appcontext(close_request_connection)
