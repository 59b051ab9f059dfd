"""Saved list views: a name for a list query (the API's list grammar: filters,
search, sort), private to the person who saved it or shared by an administrator
with roles. A view is checked as the list it stands for when it is saved, and
runs as its reader (their scope, their hidden fields) whenever it is opened."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import sqlalchemy as sa

from ..base.context import Context
from ..base.problems import BadQuery, Conflict, Forbidden, Invalid, NotFound
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..i18n import message
from .access import Viewer
from .fixed_statements import FixedStatement
from .query import parse_list_query

MAX_NAME = 100
MAX_QUERY = 2000
# Parameters that belong to one page of a list, not to what it shows.
PAGE_ONLY = ("cursor", "limit", "lang")


def _table(compiled: Compiled) -> sa.Table:
    return compiled.tables.saved_views


def view_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {"id": row["id"], "entity": row["entity"], "name": row["name"],
            "query": row["query"], "owner": row["owner_id"], "roles": list(row["roles"]),
            "created_at": row["created_at"]}


def list_views(conn: sa.Connection, compiled: Compiled, ctx: Context, entity: str
               ) -> list[dict[str, Any]]:
    """The caller's own views of ``entity`` and those shared with one of their roles."""
    rows = _views_of(_table(compiled)).execute(conn, {"entity": entity}).mappings()
    roles = set(ctx.principal.roles)
    return [view_json(row) for row in rows
            if row["owner_id"] == ctx.user_id or roles & set(row["roles"])]


@lru_cache(maxsize=8)  # a program's table: recompiling makes a new one
def _views_of(table: sa.Table) -> FixedStatement:
    """Every view of an entity, built once per program and sent to the driver directly:
    every list page asks, and building the statement took longer than running it."""
    return FixedStatement(sa.select(table).where(table.c.entity == sa.bindparam("entity"))
                          .order_by(table.c.name, table.c.id))


def save_view(conn: sa.Connection, compiled: Compiled, ctx: Context, model: EntityModel,
              body: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    """``{"name": ..., "query": "grade=A&sort=-annual_revenue", "roles": [...]}``."""
    lang = ctx.locale
    errors: dict[str, list[str]] = {}
    raw_name, query, roles = body.get("name"), body.get("query", ""), body.get("roles", [])
    name = raw_name if isinstance(raw_name, str) else ""
    if not name or len(name) > MAX_NAME:
        errors["name"] = [message("view_name", lang, max=MAX_NAME)]
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        errors["query"] = [message("view_query", lang, max=MAX_QUERY)]
    else:
        args = {k: v for k, v in parse_qs(query.lstrip("?"), keep_blank_values=True).items()
                if k not in PAGE_ONLY}
        try:  # what the saver could list now; a reader's own scope applies when opened
            parse_list_query(args, model, Viewer(compiled, ctx.principal, conn))
        except BadQuery as problem:
            errors["query"] = [message("view_query_refused", lang, parameter=key, text=text)
                               for key, texts in problem.errors.items() for text in texts]
        query = "&".join(f"{k}={v}" for k, values in args.items() for v in values) \
            if not errors.get("query") else query
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        errors["roles"] = [message("view_roles", lang)]
    else:
        unknown = [r for r in roles if r not in compiled.catalog.roles]
        if unknown:
            errors["roles"] = [message("unknown_role", lang, name=", ".join(unknown), hint="")]
    if errors:
        raise Invalid(errors)
    if roles and not admin:
        raise Forbidden(message("view_share_admin", lang), key="roles")
    table = _table(compiled)
    taken = conn.execute(sa.select(table.c.id).where(
        table.c.owner_id == ctx.user_id, table.c.entity == model.name,
        table.c.name == name)).first()
    if taken is not None:
        raise Conflict(message("view_taken", lang, name=name), key="name")
    try:
        with conn.begin_nested():  # a save racing this one for the same name
            inserted = conn.execute(table.insert().values(
                entity=model.name, name=name, query=query, owner_id=ctx.user_id,
                roles=sorted(set(roles)), created_at=ctx.now)).inserted_primary_key
    except sa.exc.IntegrityError:
        raise Conflict(message("view_taken", lang, name=name), key="name") from None
    assert inserted is not None
    new_id = inserted[0]
    return view_json(conn.execute(sa.select(table).where(table.c.id == new_id)).mappings().one())


def delete_view(conn: sa.Connection, compiled: Compiled, ctx: Context, entity: str,
                view_id: int, *, admin: bool) -> None:
    """Its owner or an administrator removes a view; to others it does not exist."""
    table = _table(compiled)
    row = conn.execute(sa.select(table).where(table.c.id == view_id,
                                              table.c.entity == entity)).first()
    if row is None or (row.owner_id != ctx.user_id and not admin):
        raise NotFound(message("no_view", ctx.locale, id=view_id), key="id")
    conn.execute(table.delete().where(table.c.id == view_id))
