"""A request costs work in proportion to what the endpoint can use, not to what the
caller sends: right after parsing, a JSON body may hold at most
``max_request_keys`` keys and list items (413) nested at most 100 levels (400);
an answer lists at most 50 keys' errors and counts the rest under ``_more``; only
the first few unknown keys get a did-you-mean; and a sign-in is checked for size
and shape before any lookup, hash or count of attempts.
(bench/hostile_bodies.py measures what such bodies cost a running server.)"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ..conftest import admin_client, write_bundle
from ..identity.conftest import PASSWORD, add_user, signed_in

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


def test_a_body_with_more_keys_than_the_limit_is_413_before_anything_reads_it(
        notes: Any) -> None:
    limit = "The body holds more than 100000 keys and list items"
    for url, body in [("/api/note", keys(100_001, "k")),
                      ("/api/note/bulk", {"items": [keys(101, "k") for _ in range(1000)]}),
                      ("/api/note", {"data": {"list": list(range(100_001))}}),
                      ("/api/auth/login", keys(100_001, "k"))]:
        response = notes.post(url, data=json.dumps(body),
                              headers={"Content-Type": "application/json"})
        assert response.status_code == 413, (url, response.json)
        assert len(response.data) < 1000, url
    assert notes.post("/api/note", json=keys(100_001, "k")).json["errors"]["_request"][
        0].startswith(limit)
    assert notes.post("/api/note", json={"name": "n", "data": {"list": list(range(99_990))}}
                      ).status_code == 201


def test_the_key_limit_is_a_setting_and_counts_nested_objects(notes: Any) -> None:
    from metacrm.web.app import create_app

    platform = notes.application.extensions["metacrm"]
    small = admin_client(create_app(replace(platform.settings, max_request_keys=10)))
    assert small.post("/api/note", json={"name": "n", "data": keys(8, "k")}).status_code == 201
    nested = small.post("/api/note", json={"name": "n", "data": {"a": keys(9, "k")}})
    assert nested.status_code == 413
    assert nested.json["errors"]["_request"][0].startswith(
        "The body holds more than 10 keys and list items")
    bulk = small.post("/api/note/bulk", json={"items": [{"name": "a"}] * 5})
    assert bulk.status_code == 413  # 1 key, 5 items, 5 keys in them
    small.application.extensions["metacrm"].engine.dispose()


def test_a_body_nested_deeper_than_100_levels_is_400(notes: Any) -> None:
    deep: Any = "x"
    for _ in range(101):
        deep = [deep]
    response = notes.post("/api/note", json={"name": "n", "data": deep})
    assert response.status_code == 400
    assert response.json["errors"]["_request"] == [
        "The body nests objects and lists more than 100 levels deep."]
    shallower = notes.post("/api/note", json={"name": "n", "data": deep[0][0]})
    assert shallower.status_code == 201, shallower.json
    assert notes.get(f"/api/note/{shallower.json['id']}").status_code == 200


def test_a_sign_in_body_is_checked_for_size_and_shape_before_any_attempt_counts(
        notes: Any) -> None:
    add_user(notes, "wang", roles=())
    anonymous = notes.application.test_client()
    big = anonymous.post("/api/auth/login", json={"username": "wang", "password": PASSWORD,
                                                  **keys(2000, "k")})
    assert big.status_code == 413
    assert big.json["errors"]["_request"] == [
        "A sign-in request is at most 16384 bytes: a username and a password."]
    long = "x" * 1025
    for body in ({"username": "wang", "password": long}, {"username": long, "password": "x"},
                 {"username": "wang", "password": 12345678}, {"username": "wang"},
                 {"username": "wang", "password": PASSWORD, "remember": True}):
        response = anonymous.post("/api/auth/login", json=body)
        assert response.status_code == 422, (body, response.json)
    assert anonymous.post("/api/auth/login", json={"username": "wang", "password": long}
                          ).json["errors"] == {"password": ["Longer than maximum length 1024."]}
    # None of them was counted as a failed sign-in (the account allows five).
    signed_in(notes, "wang")


def test_the_sign_in_form_is_refused_over_its_size(notes: Any) -> None:
    browser = notes.application.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"username": "wang", "password": "x" * 20_000, "csrf_token": token.group(1)}
    response = browser.post("/login", data=form)
    assert response.status_code == 413
