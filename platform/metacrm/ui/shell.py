"""What every page shows around its content: who is signed in, in which
language, the entities their roles let them open, and unread notifications."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import force_locale, gettext

from ..base.context import Context
from ..compile.compiled import Compiled
from ..definitions import LANGUAGES
from ..identity.users import get_user, users_table
from ..runtime.fixed_statements import FixedStatement
from ..runtime.form_designs import designable
from ..runtime.notifications import unread_of
from ..web.auth import current_context, session_csrf
from .language import choose_language


@dataclass(frozen=True)
class NavItem:
    entity: str
    label: str
    href: str


@dataclass(frozen=True)
class NavGroup:
    """A heading of the navigation (empty: the bundle groups nothing) and its entities."""

    label: str
    items: tuple[NavItem, ...]


def navigation_groups(compiled: Compiled, items: tuple[NavItem, ...], language: str
                      ) -> tuple[NavGroup, ...]:
    """``items`` under the headings the bundle's ``navigation`` declares, in its order;
    what no heading names comes last, under "More". A heading with nothing the
    caller may read is left out."""
    declared = compiled.catalog.navigation
    if not declared:
        return (NavGroup("", items),) if items else ()
    by_entity = {item.entity: item for item in items}
    groups = [NavGroup(group.label.get(language), tuple(
        by_entity.pop(name) for name in group.entities if name in by_entity))
        for group in declared]
    rest = tuple(item for item in items if item.entity in by_entity)
    if rest:
        groups.append(NavGroup(gettext("More"), rest))
    return tuple(group for group in groups if group.items)


@dataclass(frozen=True)
class Shell:
    title: str
    language: str
    languages: tuple[str, ...]
    user_id: int | None
    user_name: str
    username: str
    navigation: tuple[NavItem, ...]   # every entity the caller may read, in definition order
    groups: tuple[NavGroup, ...]      # the same, under the bundle's headings
    unread: int
    csrf_token: str | None
    current: str | None = None
    designable: tuple[str, ...] = ()  # the entities whose forms the user may design
    # Whom the frame's navigation and designer links are for (their roles, whether an
    # administrator): what a frame kept between requests is kept by (fragments.py).
    audience: tuple[frozenset[str], bool] = (frozenset(), False)

    @property
    def design_entity(self) -> str | None:
        """Where the navigation's form designer link leads: this page's entity if the
        user may design it, else the first they may."""
        if self.current in self.designable:
            return self.current
        return self.designable[0] if self.designable else None

    def at(self, entity: str) -> Shell:
        return replace(self, current=entity)


def page_context() -> tuple[Context, str | None]:
    """The caller, speaking the page's language (their profile's unless they just
    picked one): engine messages on the page come in the same language as its texts."""
    ctx = current_context()
    return ctx, session_csrf()


def speak_users_language(conn: sa.Connection, compiled: Compiled, ctx: Context) -> Context:
    """For a fragment of a page (no shell): the caller, in their page language."""
    user = get_user(conn, compiled.metadata, ctx.user_id) if ctx.user_id else None
    return replace(ctx, locale=choose_language(user.language if user else None))


def build_shell(conn: sa.Connection, compiled: Compiled, ctx: Context,
                csrf_token: str | None) -> tuple[Shell, Context]:
    """The page's frame for the caller, with ``ctx`` in the page's language. One
    statement reads the user and their unread notifications; the rest (the entities
    their roles may read, their links and headings, the forms they may design) is the
    same for everyone with their roles and is kept (``_frame``)."""
    user_id, user_name, username, user_language, unread = None, "", "", None, 0
    if ctx.user_id is not None:
        row = _frame_statement(users_table(compiled.metadata),
                               compiled.tables.notifications).execute(
            conn, {"user_id": ctx.user_id}).first()
        if row is not None:
            user_id, user_name, username, user_language, unread = row
    language = choose_language(user_language)
    ctx = replace(ctx, locale=language)
    principal = ctx.principal
    audience = (principal.roles, principal.admin or principal.system)
    frame = _frame(compiled, ctx, audience, language)
    return Shell(
        title=frame.title, language=language, languages=LANGUAGES,
        user_id=user_id, user_name=user_name or "", username=username or "",
        navigation=frame.navigation, groups=frame.groups,
        unread=unread, csrf_token=csrf_token,
        designable=frame.designable, audience=audience), ctx


@dataclass(frozen=True)
class _Frame:
    title: str
    navigation: tuple[NavItem, ...]
    groups: tuple[NavGroup, ...]
    designable: tuple[str, ...]


def _frame(compiled: Compiled, ctx: Context, audience: tuple[frozenset[str], bool],
           language: str) -> _Frame:
    """The frame's parts decided by the caller's roles (the policy's readable entities,
    the designer's right) and the language, kept per program (``Compiled.memo``: a
    customization recompiles it) and script root (the links)."""
    key = ("frame", request.script_root, language, audience)
    kept = compiled.memo.get(key)
    if isinstance(kept, _Frame):
        return kept
    lists = url_for("metacrm_pages.list_page", entity="_")[:-1]
    models = compiled.models
    navigation = tuple(NavItem(name, models[name].entity.plural.get(language), lists + name)
                       for name in compiled.policy.readable(ctx.principal))
    product = compiled.catalog.product_label
    with force_locale(language):  # the "More" heading
        groups = navigation_groups(compiled, navigation, language)
    found = compiled.memo[key] = _Frame(
        product.get(language) if product else "metacrm", navigation, groups,
        tuple(designable(compiled, ctx)))
    return found


@lru_cache(maxsize=8)  # a program's tables: recompiling (customizations) makes new ones
def _frame_statement(users: sa.Table, notifications: sa.Table) -> FixedStatement:
    """The frame's user and unread count, built once per program and sent to the
    driver directly: building the statement, and Core's work around it, took longer
    than the database took to answer it."""
    return FixedStatement(sa.select(
        users.c.id, users.c.name, users.c.username, users.c.language,
        unread_of(notifications, users.c.id).label("unread"),
    ).where(users.c.id == sa.bindparam("user_id")))
