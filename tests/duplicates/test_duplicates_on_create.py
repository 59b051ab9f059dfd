"""Duplicate rules on create: a blocking rule answers 409 with the candidates (id,
title, rule, score), a warning rule creates the record and lists them under
``_duplicates``; exact rules compare cleaned values (+86 138-0013-8000 is
13800138000), fuzzy rules company keys (北京华为技术有限公司 is 华为技术（北京）有限公司);
a candidate the caller may not read is told without its data."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ..conftest import token_for, write_bundle

BUNDLE = {
    "entities/firm.yaml": """
        entity: firm
        title: name
        owned_by: owner
        fields:
          name: {type: string, clean: [trim, nfkc, company_name]}
          phone: {type: phone, clean: [nfkc, {phone: CN}]}
          email: {type: email, clean: [trim, email_lower]}
          code: {type: string, max_length: 18, clean: [uscc]}
          owner: {type: user, default: $user}
        duplicates:
          - {name: same_code, label: {en: Same credit code}, fields: [code], action: block}
          - {name: same_phone, label: {en: Same phone}, fields: [phone]}
          - {name: same_email, fields: [email], action: warn}
          - {name: similar_name, label: {en: Similar name}, fuzzy: name, threshold: 85}
        """,
    "roles/seller.yaml": """
        role: seller
        permissions:
          firm: {operations: [read, create, update, delete], scope: own}
        """,
}


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "firm", BUNDLE))


def _make(client, **values):  # type: ignore[no-untyped-def]
    response = client.post("/api/firm", json=values)
    assert response.status_code == 201, response.json
    return response.json


def test_a_blocking_rule_refuses_with_the_candidates(client) -> None:  # type: ignore[no-untyped-def]
    first = _make(client, name="星河贸易有限公司", code="91110000802100433B")
    response = client.post("/api/firm", json={"name": "别的公司",
                                             "code": "9111 0000 8021 0043 3b"})
    assert response.status_code == 409
    assert response.json["errors"] == {
        "code": ["A Firm like this one exists already (Same credit code)."]}
    assert response.json["duplicates"] == [
        {"id": first["id"], "title": "星河贸易有限公司", "rule": "same_code",
         "label": "Same credit code", "action": "block", "score": 100}]
    assert len(client.get("/api/firm").json["items"]) == 1


def test_mixed_phone_formats_are_one_phone_and_warn(client) -> None:  # type: ignore[no-untyped-def]
    first = _make(client, name="甲", phone="+86 138-0013-8000")
    second = _make(client, name="乙", phone="13800138000")
    assert "_duplicates" not in first
    assert second["phone"] == "+8613800138000"
    assert second["_duplicates"] == [
        {"id": first["id"], "title": "甲", "rule": "same_phone", "label": "Same phone",
         "action": "warn", "score": 100}]
    third = _make(client, name="丙", phone="010-12345678")
    assert "_duplicates" not in third


def test_one_company_in_two_spellings_is_found(client) -> None:  # type: ignore[no-untyped-def]
    first = _make(client, name="北京华为技术有限公司")
    _make(client, name="星河贸易有限公司")
    second = _make(client, name="华为技术(北京)有限公司")
    assert second["name"] == "华为技术（北京）有限公司"
    (found,) = second["_duplicates"]
    assert (found["id"], found["rule"], found["score"]) == (first["id"], "similar_name", 100)


def test_a_similar_name_with_a_typo_scores_below_100(client) -> None:  # type: ignore[no-untyped-def]
    _make(client, name="上海星河国际贸易有限公司")
    found = _make(client, name="上海星河国际贸易发展有限公司")["_duplicates"]
    assert found and 85 <= found[0]["score"] < 100
    assert "_duplicates" not in _make(client, name="上海银河物流有限公司")


def test_e_mail_matches_after_cleaning(client) -> None:  # type: ignore[no-untyped-def]
    _make(client, name="甲", email="Li.Na@Example.com")
    assert _make(client, name="乙", email=" li.na@example.COM ")["_duplicates"][0][
        "rule"] == "same_email"


def test_records_in_the_recycle_bin_are_not_duplicates(client) -> None:  # type: ignore[no-untyped-def]
    first = _make(client, name="甲", phone="13800138000")
    assert client.delete(f"/api/firm/{first['id']}").status_code == 204
    assert "_duplicates" not in _make(client, name="乙", phone="13800138000")


def test_a_record_the_caller_cannot_read_is_not_shown(client) -> None:  # type: ignore[no-untyped-def]
    _make(client, name="北京华为技术有限公司", phone="13800138000",
          code="91110000802100433B")
    app = client.application
    seller = app.test_client()
    seller.environ_base["HTTP_AUTHORIZATION"] = (
        f"Bearer {token_for(app, 'li.na', roles=('seller',))}")
    warned = seller.post("/api/firm", json={"name": "甲", "phone": "138 0013 8000"})
    assert warned.status_code == 201
    assert warned.json["_duplicates"] == [
        {"rule": "same_phone", "label": "Same phone", "action": "warn", "score": 100,
         "message": "A Firm with this Phone exists that you cannot see."}]
    blocked = seller.post("/api/firm", json={"code": "91110000802100433B"})
    assert blocked.status_code == 409
    assert "北京华为" not in blocked.get_data(as_text=True)
    assert blocked.json["duplicates"][0].keys() == {"rule", "label", "action", "score",
                                                    "message"}


def test_bulk_create_checks_each_item(client) -> None:  # type: ignore[no-untyped-def]
    first = _make(client, name="甲", phone="13800138000", code="91110000802100433B")
    response = client.post("/api/firm/bulk", json={"items": [
        {"name": "乙", "phone": "13800138000"}, {"name": "丙"}]})
    assert response.status_code == 201
    items = response.json["items"]
    assert items[0]["_duplicates"][0]["id"] == first["id"]
    assert "_duplicates" not in items[1]
    refused = client.post("/api/firm/bulk", json={"items": [
        {"name": "丁"}, {"name": "戊", "code": "91110000802100433B"}]})
    assert refused.status_code == 409
    assert list(refused.json["errors"]) == ["items[1].code"]
    assert refused.json["duplicates"][0]["item"] == 1


def test_a_block_s_names_are_compared_whatever_they_hold(client) -> None:  # type: ignore[no-untyped-def]
    """A block's names are read joined into one text; a stored name holding the
    character that joins them is still compared (read row by row then), and the
    similar records found among many are those listed."""
    app = client.application
    platform = app.extensions["metacrm"]
    others = [_make(client, name=f"星河贸易{n}号分店有限公司")["id"] for n in range(30)]
    odd = _make(client, name="星河国际贸易有限公司")
    with platform.writing() as conn:  # as an older record or another program wrote it
        table = platform.compiled.models["firm"].table
        conn.execute(table.update().where(table.c.id == odd["id"])
                     .values(name="星河国际贸易\x1f有限公司"))
    found = _make(client, name="上海星河国际贸易有限公司")["_duplicates"]
    assert [(f["id"], f["score"]) for f in found] == [(odd["id"], 100)]
    # the same block, other names: only the one similar enough, among thirty
    found = _make(client, name="星河贸易7号分店有限公司")["_duplicates"]
    assert found[0]["id"] == others[7] and found[0]["score"] == 100
    assert all(f["score"] >= 85 for f in found)


def test_a_fuzzy_rule_on_long_text_takes_any_length(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The block index carries a fuzzy field's value only when its length is bounded
    (PostgreSQL refuses an index entry over about 2.7 KB): a rule on a text field
    still takes a long value, and still finds its like."""
    client = make_client(write_bundle(tmp_path / "notes", {"entities/note.yaml": """
        entity: note
        fields:
          body: {type: text}
        duplicates:
          - {name: similar_body, fuzzy: body, threshold: 90}
        """}))
    chance = random.Random(7)  # (text that does not compress: an index may compress)
    long = "长文本" + "".join(chr(chance.randrange(0x4E00, 0x9FA5)) for _ in range(3000))
    first = client.post("/api/note", json={"body": long})
    assert first.status_code == 201, first.json
    second = client.post("/api/note", json={"body": long + "。"})
    assert second.status_code == 201, second.json
    assert [d["id"] for d in second.json["_duplicates"]] == [first.json["id"]]
