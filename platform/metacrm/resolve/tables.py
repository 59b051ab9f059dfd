"""Refuse what the databases would refuse when the tables are made: more columns
than a table may have, more columns than an index may have, and names that are
the same once PostgreSQL cuts them to 63 bytes.

``metacrm check`` passes only definitions that ``metacrm migrate`` can create, on
SQLite and PostgreSQL alike, so each limit is the smaller of the two. The names
are the compiler's own (``compile.tables``), so they cannot drift apart.
"""

from __future__ import annotations

from ..compile.tables import SYSTEM_COLUMNS, entity_indexes, index_name, link_table_name
from ..definitions import Catalog, EntityDef, Location
from ..errors import ErrorCollector

# PostgreSQL: 1600 columns a table (SQLite's default is 2000); 32 columns an index
# (INDEX_MAX_KEYS; SQLite allows 2000); identifiers cut to 63 bytes (NAMEDATALEN - 1).
MAX_COLUMNS = 1600
MAX_INDEX_COLUMNS = 32
MAX_IDENTIFIER = 63


def check_tables(catalog: Catalog, errors: ErrorCollector) -> None:
    # Tables, indexes and primary keys share one namespace in PostgreSQL (indexes
    # in SQLite too); tables are claimed first, so a clash is reported at the index.
    names = _Names(errors)
    for entity in catalog.entities.values():
        _check_columns(entity, errors)
        names.claim(entity.name, f"the table of entity '{entity.name}'", entity.location)
        names.claim(f"pk_{entity.name}", f"the primary key of '{entity.name}'", entity.location)
    for entity in catalog.entities.values():
        _check_link_tables(entity, names, errors)
    for entity in catalog.entities.values():
        for index in entity_indexes(entity):
            what = f"the index '{index.name}' of '{entity.name}' ({', '.join(index.columns)})"
            if len(index.columns) > MAX_INDEX_COLUMNS:
                errors.add(index.location, f"{what} has {len(index.columns)} columns; an index "
                           f"may have at most {MAX_INDEX_COLUMNS} (PostgreSQL's limit)")
            names.claim(index.name, what, index.location,
                        hint="; give one of them a name of its own (an entry of 'indexes:' "
                             "with 'name:')")


def _check_columns(entity: EntityDef, errors: ErrorCollector) -> None:
    fields = sum(1 for f in entity.fields.values() if f.stored)
    columns = fields + len(SYSTEM_COLUMNS)
    if columns > MAX_COLUMNS:
        errors.add(entity.location, f"entity '{entity.name}': its table would have {columns} "
                   f"columns ({fields} fields and {len(SYSTEM_COLUMNS)} system columns); a table "
                   f"may have at most {MAX_COLUMNS} (PostgreSQL's limit; multi_reference fields "
                   "are link tables and do not count): move some fields to an entity of their "
                   "own")


def _check_link_tables(entity: EntityDef, names: _Names, errors: ErrorCollector) -> None:
    for field in entity.fields.values():
        if field.stored:
            continue
        table = link_table_name(entity.name, field.name)
        if len(table.encode()) > MAX_IDENTIFIER:
            errors.add(field.location, f"field '{entity.name}.{field.name}': its link table "
                       f"'{table}' would have a name of {len(table)} characters; PostgreSQL "
                       f"keeps only {MAX_IDENTIFIER}: shorten the entity's or the field's name")
            continue
        what = f"the link table of '{entity.name}.{field.name}'"
        names.claim(table, what, field.location)
        names.claim(index_name(table, ["target_id"]), f"the index of {what}", field.location)


class _Names:
    """Who holds each name of the shared namespace, as PostgreSQL will store it."""

    def __init__(self, errors: ErrorCollector):
        self.errors = errors
        self.holders: dict[bytes, str] = {}

    def claim(self, name: str, what: str, location: Location, hint: str = "") -> None:
        stored = name.encode()[:MAX_IDENTIFIER]
        holder = self.holders.setdefault(stored, what)
        if holder != what:
            self.errors.add(location, f"{what} would have the same name as {holder}"
                            f"{hint or '; rename one of them'}")
