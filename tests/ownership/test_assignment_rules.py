"""Assignment rules: new leads nobody was given go to a team member, in turn or to
the least loaded; the shipped CRM sends East China web leads to team `east` and
imported leads to team `inside_sales`."""

from __future__ import annotations

import threading
from collections import Counter

from ..access.conftest import create, person

EAST_WEB_LEAD = {"lifecycle": "lead", "source": "website", "province": "上海", "owner": None}
IMPORTED_LEAD = {"lifecycle": "lead", "source": "api_import", "owner": None}


def _owner(crm, customer: int) -> int | None:  # type: ignore[no-untyped-def]
    return crm.get(f"/api/customer/{customer}").json["owner"]


def test_round_robin_takes_the_team_in_turn(crm) -> None:
    team = [person(crm, f"east{i}", roles=("salesperson",), team="east") for i in range(3)]
    ids = [create(crm, "customer", name=f"网站线索 {i}", **EAST_WEB_LEAD) for i in range(7)]
    owners = [_owner(crm, i) for i in ids]
    members = sorted(p.id for p in team)
    assert owners == [members[i % 3] for i in range(7)]
    record = crm.get(f"/api/customer/{ids[0]}").json
    assert record["owner_since"] is not None


def test_least_loaded_goes_to_whoever_holds_fewest(crm) -> None:
    busy = person(crm, "busy", roles=("salesperson",), team="inside_sales")
    idle = person(crm, "idle", roles=("salesperson",), team="inside_sales")
    for i in range(3):
        create(busy, "customer", name=f"老客户 {i}")
    owners = [_owner(crm, create(crm, "customer", name=f"导入 {i}", **IMPORTED_LEAD))
              for i in range(5)]
    # level at three each, then ties go to the longest-standing member (the lower id)
    assert owners == [idle.id, idle.id, idle.id, busy.id, idle.id]


def test_records_no_rule_matches_stay_in_the_pool(crm) -> None:
    person(crm, "east0", roles=("salesperson",), team="east")
    outside = create(crm, "customer", name="北京线索", **{**EAST_WEB_LEAD, "province": "北京"})
    potential = create(crm, "customer", name="潜在", lifecycle="potential", source="website",
                       province="上海", owner=None)
    assert _owner(crm, outside) is None and _owner(crm, potential) is None


def test_a_given_owner_or_the_creator_keeps_the_record(crm) -> None:
    person(crm, "east0", roles=("salesperson",), team="east")
    seller = person(crm, "seller", roles=("salesperson",))
    director = person(crm, "director", roles=("sales_director",))
    own = create(director, "customer", name="自己的线索", lifecycle="lead", source="website",
                 province="上海")
    assert _owner(crm, own) == director.id
    given = create(director, "customer", name="指定", **{**EAST_WEB_LEAD, "owner": seller.id})
    assert _owner(crm, given) == seller.id


def test_inactive_members_and_members_at_their_limit_are_skipped(make_client, tmp_path) -> None:
    from ..conftest import SHIPPED_BUNDLE, write_bundle

    template = write_bundle(tmp_path / "template", {"roles/sales.yaml": """
        extend_role: salesperson
        permissions:
          customer: {hold_limit: 1}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    full = person(crm, "full", roles=("salesperson",), team="east")
    gone = person(crm, "gone", roles=("salesperson",), team="east")
    free = person(crm, "free", roles=("salesperson",), team="east")
    create(full, "customer", name="已满")
    _deactivate(crm, gone.id)
    first = create(crm, "customer", name="线索一", **EAST_WEB_LEAD)
    second = create(crm, "customer", name="线索二", **EAST_WEB_LEAD)
    assert _owner(crm, first) == free.id
    assert _owner(crm, second) is None  # everyone is full or gone: the pool takes it


def test_a_rule_naming_a_team_that_does_not_exist_is_passed_over(crm) -> None:
    lead = create(crm, "customer", name="无团队", **EAST_WEB_LEAD)
    assert _owner(crm, lead) is None


def test_a_bulk_import_is_shared_out_in_one_go(crm) -> None:
    team = [person(crm, f"in{i}", roles=("salesperson",), team="inside_sales")
            for i in range(2)]
    response = crm.post("/api/customer/bulk", json={"items": [
        {"name": f"批量 {i}", **IMPORTED_LEAD} for i in range(6)]})
    assert response.status_code == 201
    assert Counter(item["owner"] for item in response.json["items"]) == {
        team[0].id: 3, team[1].id: 3}


def test_concurrent_creates_share_one_rotation(crm) -> None:
    team = [person(crm, f"east{i}", roles=("salesperson",), team="east") for i in range(4)]
    app, results = crm.application, []

    def worker(index: int) -> None:
        client = app.test_client()
        client.environ_base.update(crm.environ_base)
        for n in range(3):
            response = client.post("/api/customer", json={"name": f"并发 {index}-{n}",
                                                          **EAST_WEB_LEAD})
            assert response.status_code == 201, response.json
            results.append(response.json["owner"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(results) == {p.id: 3 for p in team}


def _deactivate(crm, user_id: int) -> None:  # type: ignore[no-untyped-def]
    from metacrm.identity.users import set_active

    platform = crm.application.extensions["metacrm"]
    with platform.writing() as conn:
        set_active(conn, platform.compiled.metadata, user_id, False)


def test_members_who_may_not_read_the_entity_are_skipped(crm) -> None:
    """Someone in the team whose roles do not read customers (no role yet, or one for
    products only) would be given records they cannot even see: they take no turn."""
    added = crm.post("/api/meta/customizations", json={
        "role": "catalogue", "permissions": {"product": {"operations": ["read"]}}})
    assert added.status_code == 201, added.json
    seller = person(crm, "east0", roles=("salesperson",), team="east")
    person(crm, "newcomer", team="east")
    person(crm, "catalogue", roles=("catalogue",), team="east")
    owners = {_owner(crm, create(crm, "customer", name=f"网站线索 {i}", **EAST_WEB_LEAD))
              for i in range(4)}
    assert owners == {seller.id}


def test_members_whose_role_leaves_the_record_out_are_skipped(make_client, tmp_path) -> None:
    """A desk that reads only northern leads (a condition through a reference) or only
    referrals is not given a southern web lead it could not see."""
    from ..conftest import write_bundle

    bundle = write_bundle(tmp_path / "desks", {
        "entities/region.yaml": """
            entity: region
            fields:
              name: {type: string, required: true}
            """,
        "entities/lead.yaml": """
            entity: lead
            owned_by: owner
            fields:
              name: {type: string, required: true}
              owner: {type: user}
              source: {type: choice, options: [web, referral]}
              region: {type: reference, to: region}
            assignment:
              - {name: all_leads, team: desk, method: round_robin}
            """,
        "roles/desks.yaml": """
            role: north_desk
            permissions:
              lead: {operations: [read, update], where: {region.name: north}}
              region: {operations: [read]}
            ---
            role: referral_desk
            permissions:
              lead: {operations: [read, update], where: {source: referral}}
              region: {operations: [read]}
            ---
            role: any_desk
            permissions:
              lead: {operations: [read, update]}
              region: {operations: [read]}
            """}, name="desks")
    crm = make_client(bundle)
    north = person(crm, "north", roles=("north_desk",), team="desk")
    referral = person(crm, "referral", roles=("referral_desk",), team="desk")
    anyone = person(crm, "anyone", roles=("any_desk",), team="desk")
    regions = {name: create(crm, "region", name=name) for name in ("north", "south")}

    def owner_of(**values: object) -> int:
        lead = create(crm, "lead", name="线索", **values)
        return crm.get(f"/api/lead/{lead}").json["owner"]

    southern_web = [owner_of(source="web", region=regions["south"]) for _ in range(3)]
    assert southern_web == [anyone.id] * 3
    northern_web = {owner_of(source="web", region=regions["north"]) for _ in range(4)}
    assert northern_web == {north.id, anyone.id}
    referrals = {owner_of(source="referral", region=regions["south"]) for _ in range(4)}
    assert referrals == {referral.id, anyone.id}
    for who in (north, referral, anyone):  # each can open every lead they were given
        given = crm.get(f"/api/lead?owner={who.id}&limit=100").json["items"]
        assert given and all(who.get(f"/api/lead/{lead['id']}").status_code == 200
                             for lead in given)
