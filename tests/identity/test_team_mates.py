"""Team scopes reach everyone who shares a team with the user, counted as people:
someone in several of the user's teams is one team mate, not one per team."""

from __future__ import annotations

from typing import Any

import pytest

from ..access.conftest import create, person
from ..conftest import token_for
from .conftest import platform_of


def _two_overlapping_teams(crm: Any) -> dict[str, Any]:
    """boss (a sales manager) and a, b, c in east and west; d in west only."""
    people = {"boss": person(crm, "boss", roles=("sales_manager",), team="east")}
    for name in ("a", "b", "c"):
        people[name] = person(crm, name, roles=("salesperson",), team="east")
    people["d"] = person(crm, "d", roles=("salesperson",), team="west")
    for name in ("boss", "a", "b", "c"):
        token_for(crm.application, name, team="west")
    return people


def test_each_team_mate_is_one_row(crm) -> None:
    from metacrm.runtime.people import People, team_mates

    people = _two_overlapping_teams(crm)
    platform = platform_of(crm)
    boss = people["boss"].id
    with platform.reading() as conn:
        rows = list(conn.execute(team_mates(platform.compiled, boss)).scalars())
        found = People(platform.compiled, conn).of("team", boss)
    assert sorted(rows) == sorted(p.id for p in people.values())
    assert found == sorted(p.id for p in people.values())


def test_a_team_just_under_the_literal_limit_is_whole(crm, monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    """Five people share teams with boss, in nine memberships: with room for five
    ids, the scope must still be all five (were the LIMIT counting memberships, the
    list would be cut short and someone's customers would vanish from the manager's
    view)."""
    from metacrm.runtime import people as people_module

    monkeypatch.setattr(people_module, "MAX_LITERAL_IDS", 5)
    people = _two_overlapping_teams(crm)
    customers = {name: create(crm, "customer", name=f"{name} 的客户", owner=p.id)
                 for name, p in people.items()}
    platform = platform_of(crm)
    with platform.reading() as conn:
        found = people_module.People(platform.compiled, conn).of("team", people["boss"].id)
    assert found == sorted(p.id for p in people.values())
    assert people["boss"].ids("/api/customer?limit=100") == sorted(customers.values())
