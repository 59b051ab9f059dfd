"""Team scopes reach everyone who shares a team with the user, counted as people:
someone in several of the user's teams is one team mate, not one per team."""

from __future__ import annotations

from typing import Any

import pytest

from ..access.conftest import create, person
from ..conftest import SHIPPED_BUNDLE, token_for, write_bundle
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



@pytest.mark.parametrize("scope", ["team", "subordinates"])
def test_a_scope_too_big_for_literal_ids_is_still_whole(make_client, tmp_path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        scope: str) -> None:
    """Past the literal limit the scope stays a subquery: the same records, none
    missing and none added."""
    from metacrm.runtime import people as people_module

    monkeypatch.setattr(people_module, "MAX_LITERAL_IDS", 1)
    template = write_bundle(tmp_path / "template", {"roles/lead.yaml": f"""
        role: lead
        permissions:
          customer: {{operations: [read], scope: {scope}}}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    boss = person(crm, "boss", roles=("lead", "salesperson"), team="east")
    staff = [person(crm, name, roles=("salesperson",), team="east", manager="boss")
             for name in ("a", "b", "c")]
    outsider = person(crm, "x", roles=("salesperson",), team="west")
    mine = [create(p, "customer", name=f"{p.username} 的客户") for p in [boss, *staff]]
    create(outsider, "customer", name="别人的客户")
    platform = platform_of(crm)
    with platform.reading() as conn:
        assert people_module.People(platform.compiled, conn).of(scope, boss.id) is None
    assert boss.ids("/api/customer?limit=100") == sorted(mine)
