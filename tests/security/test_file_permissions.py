"""The instance's secrets are readable by their owner only: the key that signs
session cookies (instance/secret_key) and the SQLite database with its -wal and
-shm files are created 0600, whatever the umask lets other files be."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from metacrm.config import Settings
from metacrm.db import make_engine


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The umask of most servers (022), under which new files are 0644."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_secret_key_is_created_for_its_owner_only(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    settings = Settings.from_env({"METACRM_INSTANCE_PATH": str(instance)})
    key_file = instance / "secret_key"
    assert key_file.read_text() == settings.secret_key and len(settings.secret_key) == 64
    assert mode(key_file) == 0o600
    assert mode(instance) == 0o700
    assert list(instance.iterdir()) == [key_file]  # nothing left aside
    # Read back, not replaced, by the next process.
    assert Settings.from_env({"METACRM_INSTANCE_PATH": str(instance)}).secret_key == (
        settings.secret_key)


def test_the_sqlite_database_and_its_journal_are_created_for_their_owner_only(
        tmp_path: Path) -> None:
    database = tmp_path / "instance" / "metacrm.sqlite"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT x FROM t")).scalar() == 1
            files = sorted(database.parent.iterdir())
            assert database in files and len(files) >= 2  # the -wal and -shm files too
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        engine.dispose()
    assert mode(database.parent) == 0o700
