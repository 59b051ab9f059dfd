"""Record scopes: each role reaches only its records, as SQL inside every read."""

from __future__ import annotations

from .conftest import create


def _customers(crm, org):  # type: ignore[no-untyped-def]
    """One customer held by each salesperson and manager, one signed, one in the pool."""
    made = {name: create(org[name], "customer", name=f"{name} 的客户")
            for name in ("wang", "liu", "yang", "east_boss")}
    # the director marks customers as signed (salespeople may not: their hold limit)
    made["signed"] = create(org["director"], "customer", name="已签约", owner=org["yang"].id,
                            lifecycle="customer", phone="021-5555 0100")
    made["pool"] = create(crm, "customer", name="公海客户", owner=None,
                          lifecycle="public_pool")
    return made


def test_a_salesperson_sees_own_customers_and_the_pool(crm, org) -> None:
    c = _customers(crm, org)
    assert org["wang"].ids("/api/customer") == sorted([c["wang"], c["pool"]])
    assert org["yang"].ids("/api/customer") == sorted([c["yang"], c["signed"], c["pool"]])


def test_a_manager_sees_the_team_and_the_director_everything(crm, org) -> None:
    c = _customers(crm, org)
    assert org["east_boss"].ids("/api/customer") == sorted(
        [c["wang"], c["liu"], c["east_boss"], c["pool"]])
    assert org["west_boss"].ids("/api/customer") == sorted([c["yang"], c["signed"], c["pool"]])
    assert org["director"].ids("/api/customer") == sorted(c.values())
    assert org["auditor"].ids("/api/customer") == sorted(c.values())


def test_finance_sees_signed_customers_only(crm, org) -> None:
    c = _customers(crm, org)
    assert org["finance"].ids("/api/customer") == [c["signed"]]
    assert org["finance"].get(f"/api/customer/{c['wang']}").status_code == 404


def test_a_record_outside_the_scope_is_404_not_403(crm, org) -> None:
    c = _customers(crm, org)
    for method in ("get", "patch"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        response = getattr(org["wang"], method)(f"/api/customer/{c['liu']}", **kwargs)
        assert response.status_code == 404, (method, response.json)
        assert response.json == {"errors": {"id": [f"No Customer with id {c['liu']}."]}}
    missing = org["wang"].get("/api/customer/999999")
    assert missing.status_code == 404 and missing.json["errors"] == {
        "id": ["No Customer with id 999999."]}
    assert org["wang"].get(f"/api/customer/{c['liu']}/history").status_code == 404


def test_a_pool_record_can_be_read_but_not_changed_before_claiming(crm, org) -> None:
    c = _customers(crm, org)
    assert org["wang"].get(f"/api/customer/{c['pool']}").status_code == 200
    response = org["wang"].patch(f"/api/customer/{c['pool']}", json={"grade": "A"})
    assert response.status_code == 403
    assert "not among the records your role reaches" in response.json["errors"]["_request"][0]


def test_contacts_follow_their_customer(crm, org) -> None:
    c = _customers(crm, org)
    mine = create(org["wang"], "contact", name="王经理", customer=c["wang"])
    theirs = create(org["liu"], "contact", name="刘经理", customer=c["liu"])
    assert org["wang"].ids("/api/contact") == [mine]
    assert org["east_boss"].ids("/api/contact") == sorted([mine, theirs])
    assert org["yang"].ids("/api/contact") == []
    refused = org["wang"].post("/api/contact", json={"name": "x", "customer": c["liu"]})
    assert refused.status_code == 422
    assert refused.json["errors"] == {"customer": [f"No Customer with id {c['liu']}."]}


def test_filters_through_references_respect_the_scope_of_the_referenced_records(crm, org
                                                                                 ) -> None:
    c = _customers(crm, org)
    create(org["wang"], "opportunity", name="ERP", customer=c["wang"])
    create(org["director"], "opportunity", name="CRM", customer=c["liu"], owner=org["wang"].id)
    # wang holds the CRM opportunity, but its customer is liu's: following the reference
    # must not tell wang anything about a customer he cannot read.
    assert len(org["wang"].ids(f"/api/opportunity?customer.owner={org['liu'].id}")) == 0
    assert len(org["wang"].ids(f"/api/opportunity?customer.owner={org['wang'].id}")) == 1
    assert len(org["wang"].ids("/api/opportunity?customer.name__contains=客户")) == 1


def test_an_expansion_never_shows_a_record_outside_the_scope(crm, org) -> None:
    c = _customers(crm, org)
    create(org["director"], "opportunity", name="CRM", customer=c["liu"], owner=org["wang"].id)
    items = org["wang"].get("/api/opportunity?expand=customer").json["items"]
    assert [item["customer"] for item in items] == [c["liu"]]  # a bare id, not liu's customer
    own = create(org["wang"], "opportunity", name="ERP", customer=c["wang"])
    expanded = org["wang"].get(f"/api/opportunity/{own}?expand=customer").json
    assert expanded["customer"]["name"] == "wang 的客户"


def test_counts_and_pages_stay_inside_the_scope(crm, org) -> None:
    for i in range(7):
        create(org["wang"], "customer", name=f"王的客户 {i}")
        create(org["liu"], "customer", name=f"刘的客户 {i}")
    seen, cursor = [], ""
    while True:
        page = org["wang"].get(f"/api/customer?limit=3&count=true{cursor}").json
        assert page["count"] == 7
        seen += [item["name"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert sorted(seen) == sorted(f"王的客户 {i}" for i in range(7))


def test_a_user_without_roles_may_do_nothing(crm, org) -> None:
    response = org["nobody"].get("/api/customer")
    assert response.status_code == 403
    assert response.json["errors"]["_request"] == ["You may not read Customers."]
    chinese = org["nobody"].get("/api/customer", headers={"Accept-Language": "zh"})
    assert chinese.json["errors"]["_request"] == ["您没有查看客户的权限。"]


def test_several_roles_give_the_union_of_their_grants(crm, org) -> None:
    from .conftest import person

    c = _customers(crm, org)
    both = person(crm, "both", roles=("salesperson", "finance"))
    mine = create(both, "customer", name="双角色客户")
    assert both.ids("/api/customer") == sorted([mine, c["signed"], c["pool"]])
    # finance reads the signed customer; only the salesperson grant could change it,
    # and that one reaches only their own
    assert both.patch(f"/api/customer/{c['signed']}", json={"grade": "A"}).status_code == 403


def test_a_role_may_reach_the_records_that_name_the_user(make_client, tmp_path) -> None:
    """`where: {engineer: $user}`: an engineer reaches the jobs given to them, whoever
    holds them, and cannot give one away out of their own reach."""
    from ..conftest import write_bundle
    from .conftest import person

    bundle = write_bundle(tmp_path / "field_service", {
        "entities/job.yaml": """
            entity: job
            owned_by: owner
            fields:
              title: {type: string, required: true}
              owner: {type: user, default: $user}
              engineer: {type: user}
              notes: {type: text}
            """,
        "roles/roles.yaml": """
            role: dispatcher
            permissions:
              job: {operations: [read, create, update]}
            ---
            role: engineer
            permissions:
              job: {operations: [read, update], where: {engineer: [$user, null]}}
            """}, name="field_service")
    crm = make_client(bundle)
    desk = person(crm, "desk", roles=("dispatcher",))
    zhao, qian = (person(crm, name, roles=("engineer",)) for name in ("zhao", "qian"))
    mine = create(desk, "job", title="上门维修", engineer=zhao.id)
    theirs = create(desk, "job", title="设备巡检", engineer=qian.id)
    open_job = create(desk, "job", title="待分配")
    assert zhao.ids("/api/job") == sorted([mine, open_job])
    assert qian.ids("/api/job") == sorted([theirs, open_job])
    assert zhao.get(f"/api/job/{theirs}").status_code == 404
    assert zhao.patch(f"/api/job/{mine}", json={"notes": "已到场"}).status_code == 200
    handed = zhao.patch(f"/api/job/{mine}", json={"engineer": qian.id})
    assert handed.status_code == 403
    assert desk.get(f"/api/job/{mine}").json["engineer"] == zhao.id


def test_user_in_a_condition_is_checked(tmp_path) -> None:
    import pytest

    from metacrm.catalog_loader import load_catalog
    from metacrm.errors import DefinitionError

    from ..conftest import write_bundle

    bundle = write_bundle(tmp_path / "bad", {
        "entities/job.yaml": """
            entity: job
            fields:
              title: {type: string}
              engineer: {type: user}
              done: {type: integer}
            """,
        "roles/roles.yaml": """
            role: engineer
            permissions:
              job: {operations: [read], where: {title: $user}}
            """})
    with pytest.raises(DefinitionError) as failed:
        load_catalog([bundle])
    assert "title: $user compares a user field with the caller" in str(failed.value)
