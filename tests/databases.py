"""Fresh databases for tests, and migrated ones copied instead of migrated again.

Migrating is most of what a test's app costs (on PostgreSQL, ~200 DDL statements
for the shipped CRM: seconds). A run migrates one database per bundle set, the
*template*, the first time a test asks for it; every later test asking for the
same bundles (the same files with the same contents, wherever they were written)
gets a copy: SQLite's backup of the template's file, or on PostgreSQL a database
``CREATE``d from the template. A copy is the very database the migration would
have made, so no test sees a difference; a database that is not empty (a test
migrating further, or that wrote to it first) is migrated as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa

from metacrm.config import Settings
from metacrm.db import make_engine, normalize_url, sqlite_file
from metacrm.load.bundles import bundle_files
from metacrm.operations import migrate_database
from metacrm.program import ProgramCache


def new_database_name() -> str:
    return f"metacrm_test_{uuid.uuid4().hex[:12]}"


class ServerDatabases:
    """A database per test on a PostgreSQL server (dropped after it), and the
    run's templates. Dropping a database costs a checkpoint, so an empty one a
    copy replaced is kept, renamed, for the next test that needs an empty one."""

    def __init__(self, server: sa.URL):
        self.server = server
        self.admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        self._spares: list[str] = []  # empty databases no test holds

    def url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> None:
        source = f" TEMPLATE {self._quote(template)}" if template else ""
        self._run(f"CREATE DATABASE {self._quote(name)}{source}")

    def create_empty(self, name: str) -> None:
        if self._spares:
            self._rename(self._spares.pop(), name)
        else:
            self.create(name)

    def replace(self, name: str, template: str) -> None:
        """``name`` (empty, nobody on it) becomes a copy of ``template``; raises
        OperationalError, changing nothing, when a session is on it."""
        spare = f"{new_database_name()}_spare"
        self._rename(name, spare)
        self._spares.append(spare)
        self.create(name, template=template)

    def drop(self, name: str) -> None:
        # FORCE ends the sessions still on it (an app a test did not close).
        self._run(f"DROP DATABASE IF EXISTS {self._quote(name)} WITH (FORCE)")

    def dispose(self) -> None:
        for spare in self._spares:
            self.drop(spare)
        self.admin.dispose()

    def _rename(self, name: str, new_name: str) -> None:
        self._run(f"ALTER DATABASE {self._quote(name)} RENAME TO {self._quote(new_name)}")

    def _quote(self, name: str) -> str:
        return self.admin.dialect.identifier_preparer.quote(name)

    def _run(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(statement)


class MigratedTemplates:
    """Databases migrated once per bundle set, copied into a test's empty database."""

    def __init__(self, folder: Path, cache: ProgramCache,
                 server: ServerDatabases | None = None):
        self.folder = folder
        self.cache = cache
        self.server = server
        self._templates: dict[str, str | None] = {}  # bundle set → template (None: failed)

    def restore(self, settings: Settings) -> bool:
        """Make ``settings.database_url``, if empty, a copy of a migrated template of
        ``settings``; False when it is not empty or the bundles do not migrate."""
        if not self._is_empty(settings.database_url):
            return False
        key = _fingerprint(settings)
        if key not in self._templates:
            self._templates[key] = self._migrate_template(settings, len(self._templates))
        template = self._templates[key]
        if template is None:
            return False
        if self.server is None:
            _copy_sqlite(template, settings.database_url)
            return True
        name = sa.make_url(normalize_url(settings.database_url)).database
        assert name is not None
        try:
            self.server.replace(name, template)
        except sa.exc.OperationalError:
            return False  # a session of the test's is on it: migrating it is the safe way
        return True

    def drop_all(self) -> None:
        if self.server is not None:
            for template in self._templates.values():
                if template is not None:
                    self.server.drop(template)

    def _migrate_template(self, settings: Settings, number: int) -> str | None:
        if self.server is None:
            name = str(self.folder / f"template-{number}.db")
            url = f"sqlite:///{name}"
        else:
            name = f"{new_database_name()}_template"
            self.server.create(name)
            url = self.server.url(name)
        template = dataclasses.replace(settings, database_url=url)
        if not migrate_database(template, echo=lambda line: None, cache=self.cache):
            return None
        return name

    def _is_empty(self, url: str) -> bool:
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return not sa.inspect(conn).get_table_names()
        finally:
            engine.dispose()


def _fingerprint(settings: Settings) -> str:
    """The bundle set: every setting but where the database is, and the files each
    bundle's definitions are read from, by their paths inside it and their contents."""
    digest = hashlib.sha256()
    digest.update(repr(dataclasses.replace(
        settings, database_url="", instance_path="", bundles=())).encode())
    for bundle in settings.bundles:
        root = Path(bundle)
        digest.update(b"\0bundle\0")
        for path in bundle_files(root):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file()
                          else b"(missing)")
    return digest.hexdigest()


def _copy_sqlite(template: str, url: str) -> None:
    # SQLite's backup writes the copy through the destination's own locks and pages,
    # so a connection a test already opened on it sees the copy, not a torn file.
    target = sqlite_file(url)
    assert target is not None and os.path.exists(target)
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(target)) as dest:
        source.backup(dest)
