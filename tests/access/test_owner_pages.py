"""A list under a few owners is read one owner at a time (runtime/owner_pages.py), and
gives exactly the rows, in exactly the order, that the plain statement gives: every
page, filter and sort, ties and empty values included."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from metacrm.runtime import owner_pages, sqlfunctions

from .conftest import Person

SORTS = ["", "-updated_at", "updated_at", "grade,-annual_revenue", "-grade,city",
         "city,-created_at", "-annual_revenue", "annual_revenue,grade", "owner,-city", "name"]
FILTERS = ["", "grade=A", "annual_revenue__gte=500", "city__isnull=true", "q=客户%201",
           "grade__in=B,C&city__isnull=false"]
GRADES = ["A", "B", None, "C", "A", "D", None]
CITIES = ["上海", None, "杭州", "上海", None]
REVENUES = ["100.00", None, "500.00", "500.00", "900.50", None, "100.00"]


@pytest.fixture
def customers(crm, org) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """Customers of wang, liu and east_boss (team east), yang (west) and the pool,
    with repeated and empty grades, cities and revenues, so that sorts tie."""
    made: dict[str, list[int]] = {}
    owners = ["wang", "liu", "east_boss", "yang", None]
    for n in range(45):
        holder = owners[n % len(owners)]
        values: dict[str, Any] = {
            "name": f"客户 {n}", "grade": GRADES[n % len(GRADES)],
            "city": CITIES[n % len(CITIES)], "annual_revenue": REVENUES[n % len(REVENUES)],
            "owner": org[holder].id if holder else None,
            "lifecycle": "lead" if holder else "public_pool"}
        response = crm.post("/api/customer", json={k: v for k, v in values.items()
                                                   if v is not None or k == "owner"})
        assert response.status_code == 201, response.json
        made.setdefault(holder or "pool", []).append(response.json["id"])
    return made


def _walk(who: Person, query: str, limit: int) -> list[int]:
    """The ids of every page of ``query``, in order, following next_cursor."""
    url = f"/api/customer?limit={limit}" + (f"&{query}" if query else "")
    ids: list[int] = []
    cursor = None
    while True:
        response = who.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, (query, response.json)
        ids.extend(item["id"] for item in response.json["items"])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return ids


def _by_owner(statement: str) -> bool:
    """Whether a list statement reads owner by owner (UNION ALL, or LATERAL on
    PostgreSQL)."""
    return "UNION ALL" in statement or "LATERAL" in statement


def _statements(crm) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    engine = crm.application.extensions["metacrm"].engine
    sa.event.listen(engine, "before_cursor_execute",
                    lambda _c, _cur, statement, *_: seen.append(statement))
    return seen


@pytest.mark.parametrize("who", ["wang", "east_boss"])
def test_every_page_sort_and_filter_matches_the_plain_statement(crm, org, customers,
                                                                monkeypatch, who) -> None:
    person = org[who]
    seen = _statements(crm)
    by_owners = {(s, f, limit): _walk(person, "&".join(p for p in (f"sort={s}" if s else "",
                                                                f) if p), limit)
                 for s in SORTS for f in FILTERS for limit in (3, 50)}
    # the owner-by-owner form did run (wang: own and pool, east_boss: 3 mates and pool)
    assert any(_by_owner(statement) for statement in seen)
    monkeypatch.setattr(owner_pages, "MAX_BRANCHES", 1)
    monkeypatch.setattr(sqlfunctions, "ARRAY_FROM", 1)  # PostgreSQL: the ids as one array
    seen.clear()
    plain = {(s, f, limit): _walk(person, "&".join(p for p in (f"sort={s}" if s else "", f)
                                                   if p), limit)
             for s in SORTS for f in FILTERS for limit in (3, 50)}
    assert not any(_by_owner(statement) for statement in seen)
    for key, ids in plain.items():
        assert by_owners[key] == ids, key
    reach = {"wang": ["wang", "pool"], "east_boss": ["wang", "liu", "east_boss", "pool"]}[who]
    assert sorted(plain[("", "", 50)]) == sorted(i for o in reach for i in customers[o])
    assert plain[("grade,-annual_revenue", "", 3)] != plain[("-annual_revenue", "", 3)]


def test_the_plain_statement_serves_a_single_owner_and_many(crm, org, customers) -> None:
    seen = _statements(crm)
    assert org["yang"].ids("/api/customer?limit=5")  # own and the pool: two branches
    assert any(_by_owner(s) for s in seen)
    seen.clear()
    assert len(org["director"].ids("/api/customer?limit=100")) == 45  # scope all
    assert not any(_by_owner(s) for s in seen)


def test_a_line_managers_pages_match_the_plain_statement(make_client, tmp_path,
                                                         monkeypatch) -> None:
    """Own and subordinates' (no pool): every page of every sort, read owner by owner
    through the statement kept per shape, is the plain statement's page."""
    from ..conftest import SHIPPED_BUNDLE, write_bundle
    from .conftest import create, person

    template = write_bundle(tmp_path / "template", {"roles/line.yaml": """
        role: line_manager
        permissions:
          customer:
            operations: [read, create, update]
            scope: subordinates
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    top = person(crm, "top", roles=("line_manager",))
    people = [top] + [person(crm, f"rep{i}", roles=("line_manager",), manager="top")
                      for i in range(3)]
    aside = person(crm, "aside", roles=("line_manager",))
    for n in range(40):
        who = (people + [aside])[n % 5]
        values = {"name": f"客户 {n}", "grade": GRADES[n % len(GRADES)],
                  "city": CITIES[n % len(CITIES)], "annual_revenue": REVENUES[n % len(REVENUES)]}
        create(who, "customer", **{k: v for k, v in values.items() if v is not None})
    seen = _statements(crm)
    queries = [(s, f, limit) for s in SORTS for f in ("", "grade=A") for limit in (3, 50)]

    def walk_all() -> dict:
        return {(s, f, limit): _walk(top, "&".join(p for p in (f"sort={s}" if s else "", f)
                                                   if p), limit)
                for s, f, limit in queries}

    by_owners = walk_all()
    assert any(_by_owner(statement) for statement in seen)
    monkeypatch.setattr(owner_pages, "MAX_BRANCHES", 1)
    seen.clear()
    plain = walk_all()
    assert not any(_by_owner(statement) for statement in seen)
    assert by_owners == plain
    assert len(plain[("", "", 3)]) == 32  # 4 of the 5 people's 8 each
