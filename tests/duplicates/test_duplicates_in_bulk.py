"""Duplicate rules in a bulk create: each item is checked against the records there
are and against the items before it in the same request, as if they were created one
by one — a blocking match refuses the whole request (409, ``items[<n>].<field>``), a
warning match is created and listed under the item's ``_duplicates``, an earlier item
named by ``request_item`` and, once created, its id."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ..conftest import token_for, write_bundle
from .firms import FIRMS

BUNDLE = FIRMS  # (its note field goes unused here)


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "firm", BUNDLE))


def _bulk(client, *items):  # type: ignore[no-untyped-def]
    return client.post("/api/firm/bulk", json={"items": list(items)})


def test_an_item_like_an_earlier_item_is_warned_with_its_new_id(client) -> None:  # type: ignore[no-untyped-def]
    created = _bulk(client, {"name": "甲", "phone": "+86 138-0013-8000"},
                    {"name": "乙"}, {"name": "丙", "phone": "13800138000"})
    assert created.status_code == 201
    first, second, third = created.json["items"]
    assert "_duplicates" not in first and "_duplicates" not in second
    assert third["_duplicates"] == [
        {"rule": "same_phone", "label": "Same phone", "action": "warn", "score": 100,
         "request_item": 0, "id": first["id"], "title": "甲"}]


def test_two_spellings_of_one_company_in_one_request(client) -> None:  # type: ignore[no-untyped-def]
    created = _bulk(client, {"name": "北京华为技术有限公司"}, {"name": "星河贸易有限公司"},
                    {"name": "华为技术(北京)有限公司"})
    (found,) = created.json["items"][2]["_duplicates"]
    assert (found["rule"], found["request_item"], found["score"]) == ("similar_name", 0, 100)
    assert found["id"] == created.json["items"][0]["id"]


def test_a_blocking_rule_between_items_refuses_the_request(client) -> None:  # type: ignore[no-untyped-def]
    refused = _bulk(client, {"name": "甲", "code": "91110000802100433B"}, {"name": "乙"},
                    {"name": "丙", "code": "9111 0000 8021 0043 3b"})
    assert refused.status_code == 409
    assert refused.json["errors"] == {
        "items[2].code": ["A Firm like this one exists already (Same credit code)."]}
    assert refused.json["duplicates"] == [
        {"rule": "same_code", "label": "Same credit code", "action": "block", "score": 100,
         "request_item": 0, "title": "甲", "item": 2}]
    assert client.get("/api/firm").json["items"] == []


def test_items_are_checked_against_the_records_too(client) -> None:  # type: ignore[no-untyped-def]
    there = client.post("/api/firm", json={"name": "甲", "phone": "13800138000",
                                           "code": "91110000802100433B"}).json
    created = _bulk(client, {"name": "乙", "phone": "138 0013 8000"})
    assert created.json["items"][0]["_duplicates"] == [
        {"id": there["id"], "title": "甲", "rule": "same_phone", "label": "Same phone",
         "action": "warn", "score": 100}]
    refused = _bulk(client, {"name": "丙"}, {"name": "丁", "code": "91110000802100433B"})
    assert refused.status_code == 409
    assert list(refused.json["errors"]) == ["items[1].code"]
    assert refused.json["duplicates"][0]["id"] == there["id"]
    assert refused.json["duplicates"][0]["item"] == 1


def test_empty_values_never_match(client) -> None:  # type: ignore[no-untyped-def]
    created = _bulk(client, {"name": "甲", "code": None, "phone": None},
                    {"name": "乙", "code": None}, {"name": "丙"})
    assert created.status_code == 201
    assert all("_duplicates" not in item for item in created.json["items"])


def test_an_item_refused_still_counts_for_the_later_ones(client) -> None:  # type: ignore[no-untyped-def]
    there = client.post("/api/firm", json={"name": "甲", "code": "91110000802100433B"}).json
    refused = _bulk(client, {"name": "乙", "code": "91110000802100433B"}, {"name": "丙"},
                    {"name": "丁", "code": "9111 0000 8021 0043 3b"})
    assert refused.status_code == 409
    assert list(refused.json["errors"]) == ["items[0].code", "items[2].code"]
    assert [(c["item"], c.get("id"), c.get("request_item"))
            for c in refused.json["duplicates"]] == [(0, there["id"], None),
                                                     (2, there["id"], None), (2, None, 0)]


def test_as_many_candidates_as_a_create_would_list(client) -> None:  # type: ignore[no-untyped-def]
    there = [client.post("/api/firm", json={"name": name, "phone": "13800138000"}).json["id"]
             for name in ("甲", "乙", "丙", "丁")]
    created = _bulk(client, *({"name": name, "phone": "13800138000"} for name in "戊己庚"))
    items = created.json["items"]
    # the records first, then the earlier items (created after them), five at most
    assert [(c.get("id"), c.get("request_item")) for c in items[2]["_duplicates"]] == [
        *((i, None) for i in there), (items[0]["id"], 0)]


def test_an_earlier_item_the_caller_cannot_read_is_not_shown(make_client, tmp_path: Path
                                                             ) -> None:  # type: ignore[no-untyped-def]
    app = make_client(write_bundle(tmp_path / "firm", {**BUNDLE, "roles/loader.yaml": """
        role: loader
        permissions:
          firm: {operations: [create, import]}
        """})).application
    loader = app.test_client()
    loader.environ_base["HTTP_AUTHORIZATION"] = (
        f"Bearer {token_for(app, 'wang.wu', roles=('loader',))}")
    created = _bulk(loader, {"name": "甲", "phone": "13800138000"},
                    {"name": "乙", "phone": "138 0013 8000"})
    assert created.status_code == 201, created.json
    assert created.json["items"][1]["_duplicates"] == [
        {"rule": "same_phone", "label": "Same phone", "action": "warn", "score": 100,
         "message": "A Firm with this Phone exists that you cannot see."}]


def test_two_hundred_items_cost_as_many_duplicate_reads_as_twenty(client) -> None:  # type: ignore[no-untyped-def]
    engine = client.application.extensions["metacrm"].engine
    reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT") and "FROM firm" in statement:
            reads.append(statement)

    def cost(start: int, n: int) -> int:
        items = [{"name": f"公司{i:04d}号", "phone": f"1380013{i:04d}"}
                 for i in range(start, start + n)]
        reads.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert _bulk(client, *items).status_code == 201
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(reads)

    # a read per rule for the request, one for the created twins' titles: not one
    # look-up per rule and item
    few, many = cost(0, 20), cost(20, 200)
    assert many <= few <= 2 * len(("same_code", "same_phone", "similar_name")) + 1, (few, many)
