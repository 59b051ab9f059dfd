"""What the ``metacrm user``, ``team`` and ``roles`` commands share: a transaction
on the configured database, users and teams found by name, and the roles the
definitions define. Every failure becomes a one-line message and exit code 1."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import click
import sqlalchemy as sa

from ..base.problems import Problem
from ..compile.tables import add_system_tables
from ..config import Settings
from ..db import make_engine, writer
from ..definitions import RoleDef
from ..errors import DefinitionError, did_you_mean
from ..plugins import PluginError
from ..program import Loader
from .teams import Team, find_team
from .users import User, UserError, find_user


@contextmanager
def transaction() -> Iterator[tuple[sa.Connection, sa.MetaData]]:
    """A write transaction on the configured database, with the system tables."""
    metadata = sa.MetaData()
    add_system_tables(metadata)
    engine = make_engine(Settings.from_env().database_url)
    try:
        with writer(engine).begin() as conn:
            if not sa.inspect(conn).has_table("mc_login_attempts"):
                raise click.ClickException("the database is not migrated: run `metacrm migrate`")
            yield conn, metadata
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    except Problem as exc:
        raise click.ClickException(problem_text(exc)) from None
    except sa.exc.OperationalError as exc:
        raise click.ClickException(f"cannot use the database: {exc.orig}") from None
    finally:
        engine.dispose()


def problem_text(problem: Problem) -> str:
    return "; ".join(f"{key}: {' '.join(texts)}" if key != "_request" else " ".join(texts)
                     for key, texts in problem.errors.items())


def existing_user(conn: sa.Connection, metadata: sa.MetaData, username: str) -> User:
    user = find_user(conn, metadata, username)
    if user is None:
        raise click.ClickException(f"no user '{username}' (see `metacrm user list`)")
    return user


def existing_team(conn: sa.Connection, metadata: sa.MetaData, code: str) -> Team:
    team = find_team(conn, metadata, code)
    if team is None:
        raise click.ClickException(f"no team '{code}' (see `metacrm team list`)")
    return team


def defined_roles(conn: sa.Connection | None = None) -> Mapping[str, RoleDef]:
    """The roles of the configured bundles and of the database's customizations
    (those of the bundles alone when there is no database to read), loaded with the
    configured plugins as the server loads them."""
    settings = Settings.from_env()
    try:
        loader = Loader.of(settings)
        if conn is not None:
            return loader.load_program(conn).catalog.roles
        engine = make_engine(settings.database_url)
        try:
            with engine.connect() as reading:
                return loader.load_program(reading).catalog.roles
        except sa.exc.SQLAlchemyError:
            return loader.catalog().roles
        finally:
            engine.dispose()
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None
    except DefinitionError as exc:
        raise click.ClickException(f"the definitions have {len(exc.diagnostics)} error(s): "
                                   "run `metacrm check`") from None


def check_roles(names: tuple[str, ...] | list[str], roles: Mapping[str, RoleDef]) -> None:
    """Refuse role names the definitions do not define, with a suggestion."""
    for name in names:
        if name not in roles:
            raise click.ClickException(
                f"unknown role '{name}'{did_you_mean(name, roles)}; defined roles: "
                f"{', '.join(sorted(roles)) or '(none)'} (see `metacrm roles`)")
