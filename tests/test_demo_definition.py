"""A bundle's demo organisation is YAML (``demo/``): checked like every definition,
with file:line errors, and filled by the plugin it names, not by engine code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from metacrm.cli import main
from metacrm.plugins import DemoRequest

from .conftest import write_bundle

ROLE = """
role: clerk
permissions:
  ledger: {operations: [read, create], scope: own}
"""
ENTITY = """
entity: ledger
owned_by: keeper
fields:
  title: {type: string, required: true}
  keeper: {type: user, default: $user}
"""
DEMO = """
demo: books
generator: tests.test_demo_definition:books_plugin
administrator: {username: boss, name: The boss}
teams:
  front: Front office
people:
  - {username: ann, name: Ann, roles: [clerk], team: front, holds_records: true}
  - {username: bob, name: Bob, roles: [clerk], manager: ann}
requests_per_approval: 0
"""


OPENED = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def _books(request: DemoRequest) -> dict[str, int]:
    rows = [{"title": f"ledger of {p.username}", "keeper": p.id}
            for p in request.people if p.holds_records]
    made = request.create_many("ledger", rows, [OPENED] * len(rows))
    made += request.create_many("ledger", [{"title": "today's ledger"}])
    return {"ledger": len(made)}


class _BooksDemo:
    name = "books_demo"
    hooks = {"demo_data": _books}


books_plugin = _BooksDemo()


def _check(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    monkeypatch.chdir(bundle)
    result = CliRunner().invoke(main, ["check", "."])
    return result.exit_code, result.output.splitlines()


def test_mistakes_in_a_demo_are_reported_at_their_line(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {
        "entities/ledger.yaml": ENTITY, "roles/clerk.yaml": ROLE,
        "demo/people.yaml": """
            demo: books
            generator: tests.test_demo_definition:books_plugin
            administrator: {username: boss, name: The boss}
            teams:
              front: Front office
            people:
              - {username: ann, name: Ann, roles: [clerc], team: frnt}
              - {username: bob, name: Bob, manager: anne, holds_record: true}
              - {username: ann, name: Ann again}
            """})
    code, lines = _check(bundle, monkeypatch)
    assert code == 1
    assert lines == [
        ("demo/people.yaml:8:47: people[1] (Bob): unknown key 'holds_record' (did you mean "
        "'holds_records'?)"),
        "1 error(s)",
    ]
    (bundle / "demo/people.yaml").write_text((bundle / "demo/people.yaml").read_text()
                                             .replace("holds_record:", "holds_records:"))
    code, lines = _check(bundle, monkeypatch)
    assert code == 1
    assert lines == [
        "demo/people.yaml:7:40: demo user 'ann': unknown role 'clerc' (did you mean 'clerk'?)",
        ("demo/people.yaml:7:54: team 'frnt' is not among the demo's teams (did you mean "
        "'front'?); declare it under teams:"),
        ("demo/people.yaml:8:41: manager 'anne' is not a person of this demo (did you mean "
        "'ann'?)"),
        "demo/people.yaml:9:16: 'ann' is in the demo twice: usernames are unique",
        "4 error(s)",
    ]


def test_a_file_in_demo_that_is_no_demo_is_an_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/ledger.yaml": ENTITY,
                                           "demo/ledger.yaml": ENTITY})
    code, lines = _check(bundle, monkeypatch)
    assert code == 1
    assert lines == [("demo/ledger.yaml:1:1: demo/ holds the demo organisation: a document "
                     "that starts with 'demo:' (see docs/demo.md)"), "1 error(s)"]


def test_serve_demo_creates_the_declared_people_and_the_plugins_records(
        tmp_path: Path, make_settings: Any) -> None:
    from metacrm.operations import prepare_server

    bundle = write_bundle(tmp_path / "b", {"entities/ledger.yaml": ENTITY,
                                           "roles/clerk.yaml": ROLE, "demo/people.yaml": DEMO})
    lines: list[str] = []
    app = prepare_server(make_settings(str(bundle)), demo=True, echo=lines.append)
    assert app is not None
    try:
        said = "\n".join(lines)
        assert "demo data: ledger 2; 0 request(s) waiting for approval" in said
        # while it fills, the console says what it is making
        assert lines.index("filling the database with demo data…") + 1 == next(
            i for i, line in enumerate(lines) if line.startswith("  ") and line.endswith("…"))
        assert "demo users, each with password " in said and ": ann (Clerk), bob (Clerk)" in said
        password = said.split("demo users, each with password ", 1)[1].split(":", 1)[0]
        client = app.test_client()
        signed = client.post("/api/auth/login", json={"username": "ann", "password": password})
        assert signed.status_code == 200
        assert signed.json["roles"] == ["clerk"] and signed.json["teams"] == ["front"]
        token = said.split("(send as 'Authorization: Bearer …'): ", 1)[1].split()[0]
        admin = {"Authorization": f"Bearer {token}"}
        listed = client.get("/api/ledger?sort=id", headers=admin).json["items"]
        assert [item["title"] for item in listed] == ["ledger of ann", "today's ledger"]
        # a record the generator says came in earlier carries that moment everywhere
        opened = listed[0]
        assert opened["created_at"] == opened["updated_at"] == "2025-03-01T02:00:00+00:00"
        history = client.get(f"/api/ledger/{opened['id']}/history", headers=admin).json
        assert [(h["action"], h["at"]) for h in history["items"]] == [
            ("create", "2025-03-01T02:00:00+00:00")]
        assert listed[1]["created_at"] > "2026"
    finally:
        app.extensions["metacrm"].engine.dispose()
    again: list[str] = []
    app = prepare_server(make_settings(str(bundle)), demo=True, echo=again.append)
    assert app is not None
    app.extensions["metacrm"].engine.dispose()
    # Whoever restarts the demo is told how to get back in: the logins are not shown again.
    assert ("demo data: the database already has records; left as it is (the demo logins "
            "were printed when it was filled; `metacrm user password boss` sets a new "
            "password)") in again


def test_a_bundle_without_a_demo_says_so(tmp_path: Path, make_settings: Any) -> None:
    from metacrm.operations import prepare_server

    bundle = write_bundle(tmp_path / "b", {"entities/ledger.yaml": ENTITY})
    lines: list[str] = []
    app = prepare_server(make_settings(str(bundle)), demo=True, echo=lines.append)
    assert app is not None
    app.extensions["metacrm"].engine.dispose()
    assert any(line.startswith("demo data: no bundle declares a demo organisation")
               for line in lines)
