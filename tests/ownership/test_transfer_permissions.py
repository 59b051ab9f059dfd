"""Who may transfer what: the `transfer` operation, within its record scope, to
someone inside that scope; a preview reveals nothing the caller may not read."""

from __future__ import annotations

import pytest

from ..access.conftest import person
from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from ..conftest import SHIPPED_BUNDLE, write_bundle
from .sales import book, owners, sales_org, transfer

pytestmark = pytest.mark.usefixtures("cached_catalogs")


def test_a_salesperson_may_not_transfer(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    for preview in (True, False):
        response = transfer(org["wang"], ids=[b.star], to=org["liu"].id, preview=preview)
        assert response.status_code == 403
        assert response.json["errors"]["_request"] == ["You may not transfer Customers."]
    assert owners(crm, "customer", [b.star]) == {b.star: org["wang"].id}


def test_a_manager_transfers_within_the_team(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    liu = org["liu"].id
    response = transfer(org["east_boss"], ids=[b.star], to=liu, preview=False)
    assert response.status_code == 200, response.json
    assert owners(crm, "customer", [b.star]) == {b.star: liu}
    assert owners(crm, "opportunity", [b.open_opp]) == {b.open_opp: liu}


def test_a_manager_cannot_reach_another_teams_records(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    response = transfer(org["east_boss"], ids=[b.yang_customer], to=org["liu"].id)
    assert response.status_code == 404  # not even its existence is confirmed
    assert response.json["errors"]["ids"] == [
        (f"No Customers you may transfer with id(s) {b.yang_customer}; nothing was "
        "transferred.")]
    # from_owner takes what the caller reaches: nothing of another team
    answer = transfer(org["east_boss"], from_owner=org["yang"].id, to=org["liu"].id).json
    assert answer["records"]["customer"]["count"] == 0


def test_a_manager_cannot_give_records_away_outside_the_team(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    for preview in (True, False):
        response = transfer(org["east_boss"], ids=[b.star], to=org["yang"].id,
                            preview=preview)
        assert response.status_code == 403
        assert response.json["errors"]["to"] == [
            ("yang (yang) is outside the Customers your role may transfer (its record "
            "scope); nothing was transferred.")]
    assert owners(crm, "customer", [b.star]) == {b.star: org["wang"].id}


def test_the_director_transfers_across_teams(crm) -> None:
    org = sales_org(crm)
    b = book(crm, org)
    yang = org["yang"].id
    response = transfer(org["director"], ids=[b.star, b.liu_customer], to=yang,
                        preview=False)
    assert response.status_code == 200, response.json
    assert owners(crm, "customer", [b.star, b.liu_customer]) == {b.star: yang,
                                                                 b.liu_customer: yang}


def test_a_preview_hides_titles_the_caller_may_not_read(make_client, tmp_path) -> None:
    bundle = write_bundle(tmp_path / "handover", {"roles/handover.yaml": """
        role: handover
        label: {en: Handover clerk, zh: 交接专员}
        permissions:
          customer:
            operations: [read, transfer]
        """}, name="handover", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, bundle)
    org = sales_org(crm)
    b = book(crm, org)
    clerk = person(crm, "clerk", roles=("handover",))
    answer = transfer(clerk, ids=[b.star], to=org["liu"].id).json
    assert answer["records"]["customer"]["items"][0]["title"] == "上海星河贸易有限公司"
    # carried records of entities the clerk may not read: how many, never which
    assert answer["records"]["opportunity"] == {"count": 1}
    assert answer["records"]["activity"] == {"count": 1}
    done = transfer(clerk, ids=[b.star], to=org["liu"].id, preview=False)
    assert done.status_code == 200, done.json
    assert done.json["records"]["opportunity"] == {"count": 1}
    assert owners(crm, "opportunity", [b.open_opp]) == {b.open_opp: org["liu"].id}


def test_a_preview_itemises_only_carried_records_the_caller_may_read(make_client,
                                                                     tmp_path) -> None:
    """Reading some opportunities (those in negotiation) shows those; the others that
    go along are counted, without their ids or owners."""
    bundle = write_bundle(tmp_path / "handover", {"roles/handover.yaml": """
        role: handover
        label: {en: Handover clerk, zh: 交接专员}
        permissions:
          customer:
            operations: [read, transfer]
          opportunity:
            operations: [read]
            where: {stage: negotiation}
        """}, name="handover", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, bundle)
    org = sales_org(crm)
    b = book(crm, org)
    clerk = person(crm, "clerk", roles=("handover",))
    for preview in (True, False):
        answer = transfer(clerk, ids=[b.star, b.river], to=org["liu"].id, preview=preview)
        assert answer.status_code == 200, answer.json
        assert answer.json["records"]["opportunity"] == {"count": 2, "items": [
            {"id": b.river_opp, "title": "商机 negotiation", "owner": org["wang"].id,
             "with": b.river}]}
    assert owners(crm, "opportunity", [b.open_opp, b.river_opp]) == {
        b.open_opp: org["liu"].id, b.river_opp: org["liu"].id}


def test_a_reporting_line_scope_reaches_down_the_line_only(make_client, tmp_path) -> None:
    bundle = write_bundle(tmp_path / "line", {"roles/line.yaml": """
        role: line_manager
        label: {en: Line manager, zh: 直属经理}
        permissions:
          customer:
            operations: [read, transfer]
            scope: subordinates
        """}, name="line", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, bundle)
    boss = person(crm, "boss", roles=("line_manager",))
    below = person(crm, "below", roles=("salesperson",), manager="boss")
    lowest = person(crm, "lowest", roles=("salesperson",), manager="below")
    outside = person(crm, "outside", roles=("salesperson",))
    mine = crm.post("/api/customer", json={"name": "下属的客户", "owner": lowest.id}).json["id"]
    theirs = crm.post("/api/customer", json={"name": "别人的客户", "owner": outside.id}
                      ).json["id"]
    assert transfer(boss, ids=[theirs], to=below.id).status_code == 404
    assert transfer(boss, ids=[mine], to=outside.id).status_code == 403
    response = transfer(boss, ids=[mine], to=below.id, preview=False)
    assert response.status_code == 200, response.json
    assert owners(crm, "customer", [mine]) == {mine: below.id}
