"""What one runtime operation works with: the connection of its transaction, the
compiled program, who asks (the request's context) and the platform's plugins, in
one frozen value that web requests and jobs build once and hand down, instead of
four to six parameters threaded by hand through every function they call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import sqlalchemy as sa

from ..base.context import Context, Principal
from ..compile.compiled import Compiled
from ..compile.system_tables import SystemTables
from ..plugins import Plugin
from .access import Viewer
from .user_directory import UserDirectory


@dataclass(frozen=True, eq=False)
class Operation:
    conn: sa.Connection
    compiled: Compiled
    ctx: Context
    plugins: Mapping[str, Plugin] = field(default_factory=dict)

    @property
    def tables(self) -> SystemTables:
        return self.compiled.tables

    @property
    def locale(self) -> str:
        return self.ctx.locale

    @cached_property
    def viewer(self) -> Viewer:
        """The caller's access to every entity (built on first use, then kept: it
        remembers the people a team or reporting-line scope reaches)."""
        return Viewer(self.compiled, self.ctx.principal, self.conn)

    @cached_property
    def directory(self) -> UserDirectory:
        """The users this operation names, read once (see user_directory.py)."""
        return UserDirectory(self.conn, self.tables.users)

    def as_platform(self) -> Operation:
        """The same operation done by the platform in the caller's name: an approval
        chain changes its record whoever decided, held to no permission but audited
        as the caller."""
        return self.acting_as(Context(Principal(self.ctx.user_id, system=True),
                                      self.ctx.locale, self.ctx.now))

    def acting_as(self, ctx: Context) -> Operation:
        """The same transaction and program for someone else (the platform, usually)."""
        other = replace(self, ctx=ctx)
        other.__dict__["directory"] = self.directory  # the same users: read them once
        return other
