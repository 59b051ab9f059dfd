"""A request costs work in proportion to what the endpoint can use, not to what the
caller sends: an answer lists at most 50 keys' errors and counts the rest under
``_more``; only the first few unknown keys get a did-you-mean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import write_bundle

NOTES = {
    "entities/note.yaml": """
        entity: note
        owned_by: owner
        fields:
          name: {type: string}
          owner: {type: user}
          body: {type: text}
          data: {type: json}
          state: {type: choice, options: [open, closed]}
        """,
    "workflows/note_flow.yaml": """
        workflow: note_flow
        entity: note
        field: state
        final: [closed]
        transitions:
          - {name: close, from: open, to: closed, requires: [body]}
        """,
}
DID_YOU_MEAN = " (did you mean 'name'?)"
MORE = "{count} more error(s) not listed: an answer lists the first 50."


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its cheapest parameters: these tests sign people in."""
    from argon2 import PasswordHasher
    from metacrm.identity import users

    monkeypatch.setattr(users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8,
                                                         parallelism=1))


@pytest.fixture
def notes(make_client: Any, tmp_path: Path) -> Any:
    return make_client(write_bundle(tmp_path / "notes", NOTES))


def keys(count: int, prefix: str = "nam") -> dict[str, int]:
    return {f"{prefix}{i}": 0 for i in range(count)}


def test_an_answer_lists_50_errors_and_counts_the_rest(notes: Any) -> None:
    response = notes.post("/api/note", json={"name": "n", **keys(200)})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert len(errors) == 51
    assert errors["_more"] == [MORE.format(count=150)]
    assert list(errors)[:3] == ["nam0", "nam1", "nam2"]
    in_chinese = notes.post("/api/note", json=keys(60), headers={"Accept-Language": "zh"})
    assert in_chinese.json["errors"]["_more"] == ["另有 10 个错误未列出：每次仅列出前 50 个。"]
    assert notes.get("/api/note").json["items"] == []


def test_only_the_first_unknown_keys_get_a_spelling_hint(notes: Any) -> None:
    errors = notes.post("/api/note", json=keys(8)).json["errors"]
    assert [errors[f"nam{i}"] for i in range(8)] == (
        [[f"Unknown field{DID_YOU_MEAN}."]] * 5 + [["Unknown field."]] * 3)
    record = notes.post("/api/note", json={"name": "n"}).json["id"]
    patched = notes.patch(f"/api/note/{record}", json=keys(8)).json["errors"]
    assert sum(DID_YOU_MEAN in m[0] for m in patched.values()) == 5


def test_a_bulk_create_lists_50_errors_and_hints_its_first_wrong_item_only(notes: Any) -> None:
    items = [{"body": "fine"}] + [keys(3) for _ in range(30)]
    response = notes.post("/api/note/bulk", json={"items": items})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert len(errors) == 51
    assert errors["_more"] == [MORE.format(count=40)]
    assert errors["items[1].nam0"] == [f"Unknown field{DID_YOU_MEAN}."]
    assert errors["items[2].nam0"] == ["Unknown field."]
    assert sum(DID_YOU_MEAN in m[0] for m in errors.values()) == 3
    top = notes.post("/api/note/bulk", json={"items": [{"name": "x"}], **keys(70, "x")})
    assert top.status_code == 422 and len(top.json["errors"]) == 51
    assert notes.get("/api/note").json["items"] == []


def test_other_bodies_list_50_errors_too(notes: Any) -> None:
    record = notes.post("/api/note", json={"name": "n"}).json["id"]
    for url in [f"/api/note/{record}/transitions/close", "/api/tokens", "/api/users",
                "/api/teams", "/api/note/transfer", "/api/approvals/delegations",
                "/api/notifications/read"]:
        response = notes.post(url, json=keys(80, "x"))
        assert response.status_code == 422, (url, response.json)
        assert len(response.json["errors"]) == 51, url
        assert response.json["errors"]["_more"][0].startswith("3"), url
    values = notes.post(f"/api/note/{record}/transitions/close", json={"values": keys(70)})
    assert values.status_code == 422 and len(values.json["errors"]) == 51
    customization = notes.post("/api/meta/customizations",
                               json={"extend": "note", **keys(70, "x")})
    assert customization.status_code == 422
    assert len(customization.json["errors"]["_request"]) == 50
    assert customization.json["errors"]["_more"] == [MORE.format(count=20)]
    query = notes.get("/api/users?" + "&".join(f"x{i}=1" for i in range(60)))
    assert query.status_code == 400 and len(query.json["errors"]) == 51
