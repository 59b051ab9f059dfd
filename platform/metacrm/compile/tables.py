"""Compile a Catalog into SQLAlchemy MetaData: one table per entity, plus ours.

Pure: no engine, no app. Names are deterministic (a naming convention and
explicit index names) so that migration can diff by name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..definitions import Catalog, EntityDef, FieldDef, Location, block_column
from ..fieldtypes import ID_TYPE, FieldTypes, UtcDateTime
from .system_tables import USERS_TABLE, add_system_tables

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
MAX_NAME = 60
BLOCK_KEY_LENGTH = 64


def link_table_name(entity: str, field: str) -> str:
    return f"{entity}__{field}"


def compile_tables(catalog: Catalog) -> sa.MetaData:
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    add_system_tables(metadata)
    for entity in catalog.entities.values():
        _entity_table(metadata, entity, catalog.field_types)
    for entity in catalog.entities.values():
        for field in entity.fields.values():
            if field.type == "multi_reference":
                _link_table(metadata, entity, field)
    return metadata


def index_name(table: str, columns: list[str], unique: bool = False) -> str:
    name = f"{'uq' if unique else 'ix'}_{table}_{'_'.join(columns)}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:MAX_NAME - 9]}_{digest}"


@dataclass(frozen=True)
class PlannedIndex:
    """An index of an entity's table, and the definition that asks for it."""

    columns: tuple[str, ...]
    unique: bool
    name: str
    location: Location
    live: bool = False  # of live records only (a partial index)
    include: tuple[str, ...] = ()  # carried along, not keys (PostgreSQL's INCLUDE)


def _system_columns() -> list[sa.Column]:
    return [
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=True),
        sa.Column("updated_by", ID_TYPE, sa.ForeignKey(f"{USERS_TABLE}.id"), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
    ]


SYSTEM_COLUMNS = tuple(c.name for c in _system_columns())


def _entity_table(metadata: sa.MetaData, entity: EntityDef, types: FieldTypes) -> sa.Table:
    columns = _system_columns()
    for field in entity.fields.values():
        if field.stored:
            columns.append(_field_column(field, types))
    # Blocking keys of fuzzy duplicate rules, written by the engine on every write
    # (runtime/duplicates.py); never a field: no API or page shows them.
    columns.extend(sa.Column(name, sa.String(BLOCK_KEY_LENGTH), nullable=True)
                   for name in entity.block_columns)
    table = sa.Table(entity.name, metadata, *columns, info={"entity": entity})
    live = table.c.deleted_at.is_(None)
    for index in entity_indexes(entity):
        _index(table, list(index.columns), unique=index.unique,
               live=live if index.unique or index.live else None, name=index.name,
               include=index.include)
    return table


# The longest text (in characters, up to 4 bytes each in UTF-8) an index carries.
MAX_INDEXED_LENGTH = 500


def entity_indexes(entity: EntityDef) -> list[PlannedIndex]:
    """The indexes of an entity's table, each once and named: those it declares, then
    one for each field that needs it, and one for its default sort."""
    declared = [(ix.fields, ix.unique, ix.name, ix.location) for ix in entity.indexes]
    included = {(ix.fields, ix.unique): ix.include for ix in entity.indexes}
    leading = {columns[0] for columns, _, _, _ in declared}
    automatic: list[tuple[tuple[str, ...], bool, str | None, Location]] = []
    for field in entity.fields.values():
        if not field.stored:
            continue
        if field.unique or field.type == "autonumber":  # numbered codes never repeat
            automatic.append(((field.name,), True, None, field.location))
        elif (field.indexed or field.type in ("reference", "user")) and field.name not in leading:
            # A declared index that starts with the column already serves it.
            automatic.append(((field.name,), False, None, field.location))
    for rule in entity.duplicates:
        # A duplicate check looks records up by the rule's values or its block key.
        first = rule.fields[0] if rule.fields else None
        if first and first not in leading and not any(c[0] == first for c, _, _, _ in automatic):
            automatic.append(((first,), False, None, rule.location))
    first_sort = entity.default_sort[0].lstrip("-") if entity.default_sort else "id"
    stored = {f.name for f in entity.fields.values() if f.stored} | set(SYSTEM_COLUMNS)
    if first_sort != "id" and first_sort not in leading and first_sort in stored and not any(
            columns[0] == first_sort for columns, _, _, _ in automatic):
        # The list's default order, served by an index: page 1 of a million records
        # reads 50 index entries instead of sorting the table.
        automatic.append(((first_sort,), False, None, entity.location))
    seen: set[tuple[tuple[str, ...], bool]] = set()
    planned = []
    for columns, unique, name, location in declared + automatic:
        if (tuple(columns), unique) in seen:
            continue
        seen.add((tuple(columns), unique))
        include = included.get((tuple(columns), unique), ())
        if include and "deleted_at" not in include:
            # Every read of the engine asks for live records: with deleted_at in the
            # index the database answers it from the index alone (an index-only scan).
            include = (*include, "deleted_at")
        planned.append(PlannedIndex(tuple(columns), unique,
                                    name or index_name(entity.name, list(columns), unique),
                                    location, include=include))
    for fuzzy in dict.fromkeys(r.fuzzy or "" for r in entity.duplicates if r.fuzzy):
        # A fuzzy rule reads the first records of a block, by id, with the field's
        # value, on every create: with the value in the index the database reads a
        # block from it alone, not a table row per record (a block of 2,000 names
        # cost a create on SQLite twice as long). Only a value of bounded length:
        # PostgreSQL refuses an index entry over a third of a page (about 2.7 KB).
        length = entity.fields[fuzzy].max_length if fuzzy in entity.fields else None
        block = (block_column(fuzzy), "id", *(
            [fuzzy] if length is not None and length <= MAX_INDEXED_LENGTH else []))
        planned.append(PlannedIndex(block, False, index_name(entity.name, [*block, "live"]),
                                    entity.at("duplicates"), live=True))
    owner_list = owner_list_columns(entity)
    if owner_list is not None:
        planned.append(PlannedIndex(owner_list, False,
                                    index_name(entity.name, [*owner_list, "live"]),
                                    entity.location, live=True))
    return planned


def owner_list_columns(entity: EntityDef) -> tuple[str, ...] | None:
    """The columns of the index a list of one owner's live records reads in the
    default order: the owner, the default sort's keys, then id (every list's last
    key), so that a page under a few owners (runtime/owner_pages.py) reads about
    one page of index entries per owner and none of the table. Only for an entity
    owned through a user field whose default sort keys are stored values (a choice
    field sorts by its options' rank, which no column holds)."""
    owner = entity.owner_field
    if owner is None:
        return None
    keys: list[str] = []
    for key in entity.default_sort:
        name = key.lstrip("-")
        field = entity.fields.get(name)
        if name == "id":
            break
        if name in SYSTEM_COLUMNS:
            keys.append(name)
        elif field is not None and field.stored and not field.options and name != owner:
            keys.append(name)
        else:
            return None
    return (owner, *keys, "id")


def _index(table: sa.Table, columns: list[str], *, name: str, unique: bool = False,
           live: sa.ColumnElement | None = None, include: tuple[str, ...] = ()) -> None:
    # Uniqueness is among live records: a record in the recycle bin does not
    # keep its code or e-mail from being reused.
    # Dialect options go to Index as keyword arguments of any value.
    options: dict[str, Any] = (
        {"sqlite_where": live, "postgresql_where": live} if live is not None else {})
    if include:  # SQLite has no INCLUDE: there the index only finds the rows
        options["postgresql_include"] = list(include)
    sa.Index(name, *[table.c[c] for c in columns], unique=unique, **options)


def _field_column(field: FieldDef, types: FieldTypes) -> sa.Column:
    args: list = []
    kind = types.of(field)
    if kind.references == "record" and field.to:
        args.append(sa.ForeignKey(f"{field.to}.id"))
    elif kind.references == "user":
        args.append(sa.ForeignKey(f"{USERS_TABLE}.id"))
    return sa.Column(field.name, kind.column(field), *args, nullable=True,
                     info={"field": field})


def _link_table(metadata: sa.MetaData, entity: EntityDef, field: FieldDef) -> None:
    name = link_table_name(entity.name, field.name)
    sa.Table(
        name, metadata,
        sa.Column("source_id", ID_TYPE, sa.ForeignKey(f"{entity.name}.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("target_id", ID_TYPE, sa.ForeignKey(f"{field.to}.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Index(index_name(name, ["target_id"]), "target_id"),
        info={"link": (entity.name, field.name)},
    )
