"""Duplicate rules on update: a PATCH (or an edit form) that changes a rule's field to
another record's value is answered as a create is — 409 with the candidates for a
blocking rule, the record saved with ``_duplicates`` for a warning rule — while the
record is never its own duplicate and a change that leaves the rules' fields alone
finds nothing."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from ..conftest import write_bundle
from ..identity.conftest import add_user, signed_in
from .firms import FIRMS

BUNDLE = FIRMS


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "firm", BUNDLE))


def _make(client, **values) -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/firm", json=values)
    assert response.status_code == 201, response.json
    return dict(response.json)


def _patch(client, record_id: int, **values):  # type: ignore[no-untyped-def]
    return client.patch(f"/api/firm/{record_id}", json=values)


def test_changing_a_blocking_key_to_anothers_value_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    first = _make(client, name="星河贸易有限公司", code="91110000802100433B")
    second = _make(client, name="银河物流有限公司")
    refused = _patch(client, second["id"], code="9111 0000 8021 0043 3b")
    assert refused.status_code == 409
    assert refused.json["errors"] == {
        "code": ["A Firm like this one exists already (Same credit code)."]}
    assert refused.json["duplicates"] == [
        {"id": first["id"], "title": "星河贸易有限公司", "rule": "same_code",
         "label": "Same credit code", "action": "block", "score": 100}]
    assert client.get(f"/api/firm/{second['id']}").json["code"] is None


def test_changing_a_warning_key_saves_and_lists_the_candidates(client) -> None:  # type: ignore[no-untyped-def]
    first = _make(client, name="甲", phone="+86 138-0013-8000")
    second = _make(client, name="乙", phone="010-12345678")
    saved = _patch(client, second["id"], phone="13800138000")
    assert saved.status_code == 200
    assert saved.json["phone"] == "+8613800138000"
    assert saved.json["_duplicates"] == [
        {"id": first["id"], "title": "甲", "rule": "same_phone", "label": "Same phone",
         "action": "warn", "score": 100}]
    assert client.get(f"/api/firm/{second['id']}").json["phone"] == "+8613800138000"


def test_a_renamed_record_is_compared_by_its_new_name(client) -> None:  # type: ignore[no-untyped-def]
    first = _make(client, name="北京华为技术有限公司")
    second = _make(client, name="星河贸易有限公司")
    found = _patch(client, second["id"], name="华为技术(北京)有限公司").json["_duplicates"]
    assert [(c["id"], c["rule"], c["score"]) for c in found] == [
        (first["id"], "similar_name", 100)]


def test_a_record_is_never_its_own_duplicate(client) -> None:  # type: ignore[no-untyped-def]
    alone = _make(client, name="星河贸易有限公司", phone="13800138000",
                  code="91110000802100433B")
    again = _patch(client, alone["id"], name="星河贸易(上海)有限公司",
                   phone="138 0013 8000", code="91110000802100433B")
    assert again.status_code == 200
    assert "_duplicates" not in again.json


def test_a_change_that_leaves_the_keys_alone_finds_nothing(client) -> None:  # type: ignore[no-untyped-def]
    _make(client, name="甲", phone="13800138000")
    twin = _make(client, name="乙", phone="13800138000")
    assert twin["_duplicates"]  # it was said at create
    changed = _patch(client, twin["id"], note="回访过")
    assert changed.status_code == 200
    assert "_duplicates" not in changed.json


def test_records_in_the_recycle_bin_do_not_count(client) -> None:  # type: ignore[no-untyped-def]
    gone = _make(client, name="甲", code="91110000802100433B")
    other = _make(client, name="乙")
    assert client.delete(f"/api/firm/{gone['id']}").status_code == 204
    assert _patch(client, other["id"], code="91110000802100433B").status_code == 200


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _customer(crm, **values) -> dict:  # type: ignore[no-untyped-def]
    response = crm.post("/api/customer", json=values)
    assert response.status_code == 201, response.json
    return dict(response.json)


def _form(boss, record: dict, **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the edit form posts: the record's values as its controls hold them, changed."""
    kept = {name: str(record[name]) for name in ("name", "lifecycle", "owner")
            if record.get(name) is not None}
    return {"csrf_token": boss.csrf, "version": str(record["version"]), **kept, **changes}


def test_the_edit_form_shows_a_blocking_rules_records(crm) -> None:  # type: ignore[no-untyped-def]
    first = _customer(crm, name="北京华为技术有限公司", credit_code="91110000802100433B")
    second = _customer(crm, name="星河贸易有限公司")
    add_user(crm, "boss", roles=("admin",))
    boss = signed_in(crm, "boss")
    refused = boss.post(f"/customer/{second['id']}/edit",
                        data=_form(boss, second, credit_code="91110000802100433b"))
    assert refused.status_code == 409
    assert f'href="/customer/{first["id"]}"' in refused.get_data(as_text=True)
    assert "Same unified social credit code" in _text(refused)
    assert crm.get(f"/api/customer/{second['id']}").json["credit_code"] is None


def test_the_edit_form_saves_a_warning_and_lists_the_duplicates(crm) -> None:  # type: ignore[no-untyped-def]
    first = _customer(crm, name="北京华为技术有限公司", phone="010-12345678")
    second = _customer(crm, name="星河贸易有限公司")
    add_user(crm, "boss", roles=("admin",))
    boss = signed_in(crm, "boss")
    saved = boss.post(f"/customer/{second['id']}/edit",
                      data=_form(boss, second, phone="(010) 1234 5678"))
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"/customer/{second['id']}?duplicates=1"
    page = boss.get(saved.headers["Location"])
    assert "Likely duplicates" in _text(page) and "Same phone" in _text(page)
    assert f"/customer/merge?ids={second['id']},{first['id']}" in page.get_data(as_text=True)
