"""`metacrm migrate` shows its plan, applies it in one step, and refuses to destroy data."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from metacrm.cli import main
from metacrm.db import make_engine

from .conftest import write_bundle

NOTE = """
entity: note
fields:
  title: {type: string, required: true}
  body: {type: text}
"""


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("METACRM_DATABASE_URL", db_url)
    monkeypatch.setenv("METACRM_INSTANCE_PATH", str(tmp_path / "instance"))

    def invoke(bundle: Path, *args: str):  # type: ignore[no-untyped-def]
        monkeypatch.setenv("METACRM_BUNDLES", str(bundle))
        return CliRunner().invoke(main, list(args))
    return invoke


def columns(db_url: str, table: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        return [c["name"] for c in sa.inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def test_dry_run_prints_the_plan_and_changes_nothing(run, db_url: str, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/note.yaml": NOTE})
    result = run(bundle, "migrate", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "create table note (" in result.output
    engine = make_engine(db_url)
    assert not sa.inspect(engine).has_table("note")
    engine.dispose()


def test_migrate_applies_then_has_nothing_left_to_do(run, db_url: str, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/note.yaml": NOTE})
    assert run(bundle, "migrate").exit_code == 0
    assert "title" in columns(db_url, "note")
    again = run(bundle, "migrate")
    assert again.exit_code == 0
    assert "the database is up to date" in again.output


def test_a_new_field_is_an_added_column(run, db_url: str, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/note.yaml": NOTE})
    run(bundle, "migrate")
    (bundle / "entities" / "note.yaml").write_text(NOTE.lstrip() + "  pinned: {type: boolean}\n")
    result = run(bundle, "migrate")
    assert result.exit_code == 0, result.output
    assert "add column note.pinned" in result.output
    assert "pinned" in columns(db_url, "note")


def test_removing_a_field_is_refused_unless_allowed(run, db_url: str, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/note.yaml": NOTE})
    run(bundle, "migrate")
    (bundle / "entities" / "note.yaml").write_text(NOTE.replace("  body: {type: text}\n", ""))
    refused = run(bundle, "migrate")
    assert refused.exit_code == 1
    assert "REFUSED" in refused.output and "note.body" in refused.output
    assert "body" in columns(db_url, "note")
    allowed = run(bundle, "migrate", "--allow-destructive")
    assert allowed.exit_code == 0, allowed.output
    assert "body" not in columns(db_url, "note")


def test_broken_definitions_stop_migrate_with_their_locations(run, tmp_path: Path,
                                                              monkeypatch) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/note.yaml": "entity: note\nfields:\n"
                                                                  "  x: {type: strng}\n"})
    monkeypatch.chdir(tmp_path)
    result = run(bundle, "migrate")
    assert result.exit_code == 1
    assert "entities/note.yaml:3:13: fields.x.type: unknown field type 'strng'" in result.output


def test_dry_run_says_what_each_change_locks(run, db_url: str, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/note.yaml": NOTE})
    run(bundle, "migrate")
    (bundle / "entities" / "note.yaml").write_text(
        NOTE.lstrip() + "  pinned: {type: boolean, indexed: true}\n")

    lines = run(bundle, "migrate", "--dry-run").output.splitlines()

    assert lines[0] == "add column note.pinned BOOLEAN"
    assert lines[2] == "add index ix_note_pinned on note (pinned)"
    if db_url.startswith("sqlite"):
        assert lines[1] == lines[3] == ("    locks: SQLite: the database's write lock until the "
                                        "migration commits (readers go on, other writers wait)")
        return
    assert lines[1] == ("    locks: brief ACCESS EXCLUSIVE lock on note (a catalog change, "
                        "no row written)")
    assert lines[3].startswith("    locks: built CONCURRENTLY after the transaction: no lock "
                               "that blocks reads or writes of note")
    assert lines[4] == ("each statement waits at most 2 s for its lock (tried up to 3 times) "
                        "and runs at most 600 s; indexes marked CONCURRENTLY are built after "
                        "the transaction commits")


def test_a_migration_timeout_that_is_not_seconds_is_refused(run, monkeypatch,
                                                            tmp_path: Path) -> None:
    monkeypatch.setenv("METACRM_MIGRATION_LOCK_TIMEOUT", "soon")
    result = run(write_bundle(tmp_path / "b", {"entities/note.yaml": NOTE}), "migrate")
    assert result.exit_code == 1
    assert result.output == ("METACRM_MIGRATION_LOCK_TIMEOUT must be a number of seconds, 0 or "
                             "more (0: no limit), not 'soon'\n")


def test_dry_run_on_a_new_sqlite_database_creates_no_file_and_no_key(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    monkeypatch.delenv("METACRM_SECRET_KEY", raising=False)
    monkeypatch.setenv("METACRM_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("METACRM_DATABASE_URL", f"sqlite:///{instance}/metacrm.sqlite")
    monkeypatch.setenv("METACRM_BUNDLES", str(write_bundle(tmp_path / "b",
                                                           {"entities/note.yaml": NOTE})))
    result = CliRunner().invoke(main, ["migrate", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "create table note (" in result.output
    assert not instance.exists()  # neither the database nor the secret key


def test_dry_run_on_an_existing_sqlite_database_changes_no_table(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    database = tmp_path / "crm.sqlite"
    monkeypatch.setenv("METACRM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("METACRM_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("METACRM_BUNDLES", str(write_bundle(tmp_path / "b",
                                                           {"entities/note.yaml": NOTE})))
    engine = make_engine(f"sqlite:///{database}")  # an empty database file
    result = CliRunner().invoke(main, ["migrate", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "create table note (" in result.output
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()
