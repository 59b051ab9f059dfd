"""Opening a page of one entity: the caller authenticated, the entity looked up (404
when there is none), the page's frame built in the caller's language, and the
operations the page needs required of their role (403) — the preamble every entity
page shares, so that each asks the engine the same way and in the same order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..base.context import Context
from ..compile.compiled import Compiled
from ..compile.models import EntityModel
from ..runtime.access import EntityAccess, Viewer
from ..runtime.operation import Operation
from ..runtime.query import ListQuery
from ..runtime.reads import get_record
from ..runtime.stored_rows import not_found
from ..web.connection import shared_reading
from ..web.requests import entity_model, platform
from .shell import Shell, build_shell, page_context


@dataclass(frozen=True)
class EntityPage:
    """An entity's page being built: who asks (``ctx``, in the page's language), its
    frame, and the engine calls' operation on the page's read connection."""

    model: EntityModel
    ctx: Context
    shell: Shell  # marked as at this entity
    op: Operation

    @property
    def compiled(self) -> Compiled:
        return self.op.compiled

    @property
    def conn(self) -> sa.Connection:
        return self.op.conn

    @property
    def viewer(self) -> Viewer:
        return self.op.viewer

    @property
    def access(self) -> EntityAccess:
        return self.op.viewer.of(self.model)

    @property
    def language(self) -> str:
        return self.shell.language

    def record(self, record_id: int, query: ListQuery | None = None) -> dict[str, Any]:
        """The record as the viewer may read it; 404 when it is not there or not within
        their reach (the same answer: a page never tells which)."""
        found = get_record(self.conn, self.viewer, self.model, record_id, query=query)
        if found is None:
            raise not_found(self.model, record_id, self.ctx)
        return found


@contextmanager
def open_entity_page(entity: str, *operations: str) -> Iterator[EntityPage]:
    """The page of ``entity`` for the caller, on a read connection kept open for the
    block, once their role allows each of ``operations`` (none: the engine call the page
    makes decides, e.g. an update)."""
    ctx, csrf = page_context()
    compiled = platform().compiled
    model = entity_model(compiled, entity, ctx)
    with shared_reading() as conn:  # a reading page: the request's connection
        shell, ctx = build_shell(conn, compiled, ctx, csrf)
        page = EntityPage(model, ctx, shell.at(entity), Operation(conn, compiled, ctx))
        for operation in operations:
            page.access.require(operation, ctx)
        yield page
