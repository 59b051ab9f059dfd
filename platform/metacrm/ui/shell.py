"""What every page shows around its content: who is signed in, in which
language, the entities their roles let them open, and unread notifications."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

from ..base.context import Context
from ..compile.compiled import Compiled
from ..definitions import LANGUAGES
from ..identity.users import get_user
from ..runtime.access import Viewer
from ..runtime.form_designs import designable
from ..runtime.notifications import unread_count
from ..runtime.operation import Operation
from ..web.auth import current_context, session_csrf
from .language import choose_language


@dataclass(frozen=True)
class NavItem:
    entity: str
    label: str


@dataclass(frozen=True)
class Shell:
    title: str
    language: str
    languages: tuple[str, ...]
    user_id: int | None
    user_name: str
    username: str
    navigation: tuple[NavItem, ...]
    unread: int
    csrf_token: str | None
    current: str | None = None
    designable: tuple[str, ...] = ()  # the entities whose forms the user may design

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
    user = get_user(conn, compiled.metadata, ctx.user_id) if ctx.user_id else None
    language = choose_language(user.language if user else None)
    ctx = replace(ctx, locale=language)
    viewer = Viewer(compiled, ctx.principal, conn)
    navigation = tuple(NavItem(name, model.entity.plural.get(language))
                       for name, model in compiled.models.items() if viewer.can_read(model))
    bundles = compiled.catalog.bundles
    return Shell(
        title=bundles[0].label.get(language) if bundles else "metacrm",
        language=language, languages=LANGUAGES,
        user_id=user.id if user else None, user_name=user.name if user else "",
        username=user.username if user else "",
        navigation=navigation, unread=unread_count(Operation(conn, compiled, ctx)),
        csrf_token=csrf_token, designable=tuple(designable(compiled, ctx))), ctx
