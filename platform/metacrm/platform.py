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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .compile.compiled import Compiled
from .config import Settings
from .db import make_engine, typed_id_arrays, writer
from .definitions import Catalog
from .identity.credentials import PrincipalCache
from .program import (
    CUSTOMIZATIONS,
    SCHEMA_STATE,
    Loader,
    ProgramCache,
    has_schema_state,
    read_customizations,
    schema_version,
)
from .runtime.people import KeptPeople

__all__ = ["CUSTOMIZATIONS", "SCHEMA_STATE", "Platform", "read_customizations",
           "schema_version"]


class Platform:
    def __init__(self, settings: Settings, engine: Engine, compiled: Compiled,
                 loader: Loader):
        self.settings = settings
        self.engine = engine
        self._compiled = compiled
        self.loader = loader
        self.plugins = dict(loader.plugins)
        # What each field type means (built-in and plugins'): pages and imports ask it.
        self.field_types = loader.field_types
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()
        self._state_seen = False  # the schema's state table, once seen, stays
        # The system tables are the same in every program: a recompile keeps it.
        self.principals = PrincipalCache(compiled.metadata)
        # The people team and line scopes reach, per credentials version (lists).
        self.people = KeptPeople()

    @classmethod
    def build(cls, settings: Settings, engine: Engine | None = None,
              cache: ProgramCache | None = None) -> Platform:
        loader = Loader.of(settings, cache)
        if engine is None:
            engine = make_engine(settings.database_url)
        else:  # (what make_engine gives its engines that the engine needs)
            typed_id_arrays(engine)
        with engine.connect() as conn:
            compiled = loader.load_program(conn)
        return cls(settings, engine, compiled, loader)

    def load(self, customizations: list[tuple[int, dict[str, Any]]]) -> Catalog:
        """The configured bundles with ``customizations``, checked against the plugins."""
        return self.loader.catalog(customizations)

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
                self._state_seen = self._state_seen or has_schema_state(conn)
                version = schema_version(conn, known_table=True) if self._state_seen else 0
                if version == self._compiled.schema_version and not force:
                    return self._compiled
                version, stored = read_customizations(conn)
            self._compiled = self.loader.compile(stored, version)
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

