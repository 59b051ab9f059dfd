"""The duplicates list a page at a time: ``limit`` groups, in the rules' order then by
value, and a ``next_cursor`` that goes on where the page stopped until it is null;
every group comes exactly once. A page reads a bounded window of the index, so where
duplicates are sparse a page may hold fewer groups and still lead on to the rest. The
page /<entity>/duplicates links to the next page."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.runtime import duplicate_groups

from ..conftest import write_bundle
from ..identity.conftest import add_user, signed_in

BUNDLE = {
    "entities/firm.yaml": """
        entity: firm
        title: name
        fields:
          name: {type: string, clean: [trim, nfkc, company_name]}
          phone: {type: phone, clean: [nfkc, {phone: CN}]}
        duplicates:
          - {name: same_phone, label: {en: Same phone}, fields: [phone]}
          - {name: similar_name, label: {en: Similar name}, fuzzy: name, threshold: 85}
        """,
    "roles/clerk.yaml": """
        role: clerk
        permissions:
          firm: {operations: [read, update, delete]}
        """,
}
# Seven pairs sharing a phone, four pairs of one company in two spellings, and firms
# with nothing in common between them.
PAIRS = [f"1380013800{i}" for i in range(7)]
COMPANIES = ["北京华为技术有限公司", "上海星河贸易有限公司", "深圳银河物流有限公司",
             "杭州蓝海科技有限公司"]


@pytest.fixture
def client(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "firm", BUNDLE))
    items: list[dict[str, Any]] = []
    for i, phone in enumerate(PAIRS):
        items += [{"name": f"Alpha {i}", "phone": phone}, {"name": f"Omega {i}", "phone": phone}]
    for name in COMPANIES:
        city = name[:2]
        items += [{"name": name}, {"name": f"{name[2:-4]}({city})有限公司"}]
    items += [{"name": name, "phone": f"1390013900{i}"}
              for i, name in enumerate(("Acme", "Borealis", "Cobalt", "Delta", "Ember"))]
    assert client.post("/api/firm/bulk", json={"items": items}).status_code == 201
    return client


def _all_pages(client, query: str) -> list[list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    pages, cursor = [], None
    while True:
        url = f"/api/firm/duplicates?{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url)
        assert response.status_code == 200, response.json
        pages.append(response.json["groups"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


def _key(group: dict[str, Any]) -> tuple[str, tuple[int, ...]]:
    return group["rule"], tuple(r["id"] for r in group["records"])


def test_pages_of_limit_groups_cover_every_group_once(client) -> None:  # type: ignore[no-untyped-def]
    whole = client.get("/api/firm/duplicates").json
    assert whole["next_cursor"] is None
    assert [g["rule"] for g in whole["groups"]] == ["same_phone"] * 7 + ["similar_name"] * 4
    assert [g["value"]["phone"] for g in whole["groups"][:7]] == [
        f"+86{phone}" for phone in PAIRS]  # by value
    pages = _all_pages(client, "limit=3")
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert [_key(g) for page in pages for g in page] == [_key(g) for g in whole["groups"]]


def test_one_rules_pages(client) -> None:  # type: ignore[no-untyped-def]
    pages = _all_pages(client, "rule=similar_name&limit=1")
    groups = [g for page in pages for g in page]
    assert len(groups) == 4 and {g["rule"] for g in groups} == {"similar_name"}
    assert len({_key(g) for g in groups}) == 4


def test_a_page_reads_a_bounded_window(client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # Two index entries a page: a page holds at most one pair, and some hold none, yet
    # following next_cursor finds every group.
    whole = [_key(g) for g in client.get("/api/firm/duplicates?limit=50").json["groups"]]
    monkeypatch.setattr(duplicate_groups, "SCAN_WINDOW", 2)
    pages = _all_pages(client, "limit=50")
    assert max(len(page) for page in pages) <= 2
    assert [] in pages  # a window of lonely firms
    assert [_key(g) for page in pages for g in page] == whole


def test_a_page_reads_its_blocks_together(client) -> None:  # type: ignore[no-untyped-def]
    # Sixty more companies alike in pairs (each pair its own block): the page of the
    # fuzzy rule reads its blocks 50 to a statement, not one statement each.
    items = [{"name": f"Q{i:03d} {spelling} Shipping"} for i in range(60)
             for spelling in ("Harbour", "Harbor")]
    assert client.post("/api/firm/bulk", json={"items": items}).status_code == 201
    engine = client.application.extensions["metacrm"].engine
    reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT") and "FROM firm" in statement:
            reads.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/api/firm/duplicates?rule=similar_name&limit=50").json
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(page["groups"]) == 50
    assert len(reads) <= 4, len(reads)  # the window's end, the blocks, their records


def test_a_cursor_that_is_not_one_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/firm/duplicates?cursor=bm9wZQ")
    assert response.status_code == 400
    assert list(response.json["errors"]) == ["cursor"]
    first = client.get("/api/firm/duplicates?limit=1&rule=same_phone").json["next_cursor"]
    other = client.get(f"/api/firm/duplicates?rule=similar_name&cursor={first}")
    assert other.status_code == 400 and "another rule" in other.json["errors"]["cursor"][0]
    for after in ([{}], [[1]], [None]):  # a made-up position: 400, never the database's error
        made = base64.urlsafe_b64encode(json.dumps(
            {"r": "same_phone", "a": after, "g": 0}).encode()).decode().rstrip("=")
        assert client.get(f"/api/firm/duplicates?cursor={made}").status_code == 400, after


def test_the_page_links_to_the_next_page(client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    add_user(client, "clerk", roles=("clerk",))
    boss = signed_in(client, "clerk")
    first = boss.get("/firm/duplicates")
    assert first.status_code == 200
    assert 'rel="next"' not in first.get_data(as_text=True)  # all eleven on one page
    monkeypatch.setattr(duplicate_groups, "SCAN_WINDOW", 4)
    paged = boss.get("/firm/duplicates").get_data(as_text=True)
    assert 'rel="next"' in paged and "/firm/duplicates?cursor=" in paged


def test_a_rule_of_two_fields_pages_by_both(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "people", {"entities/person.yaml": """
        entity: person
        title: name
        fields:
          name: {type: string}
          city: {type: string}
        duplicates:
          - {name: same_name_and_city, fields: [name, city]}
        """}))
    items = [{"name": name, "city": city} for name in ("李娜", "王伟") for city in ("北京", "上海")]
    assert client.post("/api/person/bulk", json={"items": items + items + [
        {"name": "李娜", "city": "深圳"}]}).status_code == 201
    seen, cursor = [], None
    while True:
        page = client.get("/api/person/duplicates?limit=1"
                          + (f"&cursor={cursor}" if cursor else "")).json
        seen += [(g["value"]["name"], g["value"]["city"], g["count"]) for g in page["groups"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted((i["name"], i["city"], 2) for i in items)
    assert len(seen) == 4
