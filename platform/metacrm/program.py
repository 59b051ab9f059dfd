"""Build the program, one way for every caller: settings → plugins → the database's
customizations → a checked catalog → the compiled program.

The server, ``metacrm migrate``, the user and role commands all go through
``load_program``, so a bundle whose workflow calls a plugin hook is accepted
(or refused) the same everywhere. A ``ProgramCache`` may be passed to reuse
catalogs and compiled programs across builds of the same definitions — the
test suite builds hundreds of apps from a handful of bundles; a server does
not need one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .catalog_loader import load_catalog
from .compile.compiled import Compiled, compile_catalog
from .config import Settings
from .definitions import Catalog
from .fieldtypes import FieldTypes
from .load.bundles import bundle_files
from .plugins import Plugin, field_types_of, hook_names, load_plugins

SCHEMA_STATE = "mc_schema_state"
CUSTOMIZATIONS = "mc_customizations"
Customizations = list[tuple[int, dict[str, Any]]]


@dataclass
class ProgramCache:
    """Catalogs by their definitions' files (paths and modification times),
    customizations and hooks; compiled programs by catalog and schema version.
    A catalog is immutable and compiling is a pure function of it, so reusing
    either changes nothing a caller can see."""

    catalogs: dict[str, Catalog] = field(default_factory=dict)
    programs: dict[tuple[int, int], Compiled] = field(default_factory=dict)

    def catalog(self, paths: Sequence[str | Path], customizations: Customizations,
                hooks: frozenset[str], field_types: FieldTypes | None = None) -> Catalog:
        files = [(str(f), _modified(f)) for p in paths for f in bundle_files(p)]
        names = list(field_types.names) if field_types is not None else None
        key = json.dumps([files, [str(p) for p in paths], customizations, sorted(hooks), names],
                         sort_keys=True, default=str)
        if key not in self.catalogs:
            self.catalogs[key] = load_catalog(paths, customizations, hooks, field_types)
        return self.catalogs[key]

    def compiled(self, catalog: Catalog, version: int) -> Compiled:
        key = (id(catalog), version)
        found = self.programs.get(key)
        if found is None or found.catalog is not catalog:
            found = self.programs[key] = compile_catalog(catalog, version)
        return found


def _modified(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:  # missing or unreadable: loading says what is wrong with it
        return None


@dataclass(frozen=True)
class Loader:
    """How one process turns definitions into a program: its settings, its plugins and
    (optionally) a cache."""

    settings: Settings
    plugins: Mapping[str, Plugin]
    cache: ProgramCache | None = None
    field_types: FieldTypes = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.field_types is None:  # the built-in types and the plugins'
            object.__setattr__(self, "field_types", field_types_of(self.plugins))

    @classmethod
    def of(cls, settings: Settings, cache: ProgramCache | None = None) -> Loader:
        """Raises PluginError when a configured plugin cannot be loaded (or offers a
        field type whose name is taken)."""
        plugins = load_plugins(settings.plugins)
        return cls(settings, plugins, cache, field_types_of(plugins))

    def catalog(self, customizations: Iterable[tuple[int, dict[str, Any]]] = ()) -> Catalog:
        """The configured bundles with ``customizations``, checked against the plugins;
        raises DefinitionError listing every problem."""
        stored = list(customizations)
        hooks = hook_names(self.plugins)
        if self.cache is not None:
            return self.cache.catalog(self.settings.bundles, stored, hooks, self.field_types)
        return load_catalog(self.settings.bundles, stored, hooks, self.field_types)

    def compile(self, customizations: Customizations, version: int) -> Compiled:
        catalog = self.catalog(customizations)
        if self.cache is not None:
            return self.cache.compiled(catalog, version)
        return compile_catalog(catalog, version)

    def load_program(self, conn: sa.Connection | None) -> Compiled:
        """The program of the bundles and the customizations stored in the database
        behind ``conn`` (the bundles alone without one)."""
        version, stored = read_customizations(conn) if conn is not None else (0, [])
        return self.compile(stored, version)


_STATE = sa.table(SCHEMA_STATE, sa.column("id"), sa.column("version"))
_VERSION = sa.select(_STATE.c.version).where(_STATE.c.id == 1)


def has_schema_state(conn: sa.Connection) -> bool:
    """Whether the database has the schema's state table (it is never dropped)."""
    return sa.inspect(conn).has_table(SCHEMA_STATE)


def schema_version(conn: sa.Connection, *, known_table: bool = False) -> int:
    """The schema's version (0 before the first migration). ``known_table``: the caller
    saw the state table before, so the catalog is not asked again (the inspector's
    look-up costs more than the version's own read, once a second in every process)."""
    if not known_table and not has_schema_state(conn):
        return 0
    return int(conn.execute(_VERSION).scalar() or 0)


def read_customizations(conn: sa.Connection) -> tuple[int, Customizations]:
    """The schema version and the stored customizations, oldest first."""
    version = schema_version(conn)
    if not sa.inspect(conn).has_table(CUSTOMIZATIONS):
        return version, []
    table = sa.table(CUSTOMIZATIONS, sa.column("id"), sa.column("document", sa.JSON),
                     sa.column("removed_at"))
    statement = sa.select(table.c.id, table.c.document).order_by(table.c.id)
    # A removed customization stays, marked, so that it can be restored; a database
    # older than removal (not migrated yet) has no column to mark it with.
    if "removed_at" in {c["name"] for c in sa.inspect(conn).get_columns(CUSTOMIZATIONS)}:
        statement = statement.where(table.c.removed_at.is_(None))
    rows = conn.execute(statement).all()
    return version, [(row.id, row.document) for row in rows]
