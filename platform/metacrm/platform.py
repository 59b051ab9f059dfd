"""The one object that owns a running metacrm: settings, engine, compiled program.

``Platform.build(settings)`` compiles the configured bundles plus the runtime
customizations stored in the database. Customizations change the schema
while servers run, so every process checks the database's schema version
(at most every ``schema_check_interval`` seconds, and always before
reporting an unknown field) and recompiles when another process moved it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .catalog_loader import load_catalog
from .compile.compiled import Compiled, compile_catalog
from .config import Settings
from .db import make_engine, writer
from .definitions import Catalog
from .plugins import Plugin, hook_names, load_plugins

SCHEMA_STATE = "mc_schema_state"
CUSTOMIZATIONS = "mc_customizations"


class Platform:
    def __init__(self, settings: Settings, engine: Engine, compiled: Compiled,
                 plugins: Mapping[str, Plugin] | None = None):
        self.settings = settings
        self.engine = engine
        self._compiled = compiled
        self.plugins = dict(plugins or {})
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()

    @classmethod
    def build(cls, settings: Settings, engine: Engine | None = None) -> Platform:
        plugins = load_plugins(settings.plugins)
        engine = engine or make_engine(settings.database_url)
        with engine.connect() as conn:
            version, stored = read_customizations(conn)
        compiled = compile_catalog(load_catalog(settings.bundles, stored, hook_names(plugins)),
                                   version)
        return cls(settings, engine, compiled, plugins)

    def load(self, customizations: list[tuple[int, dict[str, Any]]]) -> Catalog:
        """The configured bundles with ``customizations``, checked against the plugins."""
        return load_catalog(self.settings.bundles, customizations, hook_names(self.plugins))

    @property
    def compiled(self) -> Compiled:
        """The current program, recompiled if another process changed the schema."""
        interval = self.settings.schema_check_interval
        if time.monotonic() - self._checked_at >= interval:
            self.refresh()
        return self._compiled

    def refresh(self, *, force: bool = False) -> Compiled:
        with self._lock:
            self._checked_at = time.monotonic()
            with self.engine.connect() as conn:
                version = schema_version(conn)
                if version == self._compiled.schema_version and not force:
                    return self._compiled
                version, stored = read_customizations(conn)
            self._compiled = compile_catalog(self.load(stored), version)
            return self._compiled

    def adopt(self, compiled: Compiled) -> None:
        """Use a program this process has just compiled and migrated to."""
        with self._lock:
            self._compiled = compiled
            self._checked_at = time.monotonic()

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        with writer(self.engine).begin() as conn:
            yield conn


def schema_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table(SCHEMA_STATE):
        return 0
    state = sa.table(SCHEMA_STATE, sa.column("id"), sa.column("version"))
    value = conn.execute(sa.select(state.c.version).where(state.c.id == 1)).scalar()
    return int(value or 0)


def read_customizations(conn: sa.Connection) -> tuple[int, list[tuple[int, dict[str, Any]]]]:
    """The schema version and the stored customizations, oldest first."""
    version = schema_version(conn)
    if not sa.inspect(conn).has_table(CUSTOMIZATIONS):
        return version, []
    table = sa.table(CUSTOMIZATIONS, sa.column("id"), sa.column("document", sa.JSON))
    rows = conn.execute(sa.select(table.c.id, table.c.document).order_by(table.c.id)).all()
    return version, [(row.id, row.document) for row in rows]
