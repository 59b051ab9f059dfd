"""Operations a role lacks are 403; no credentials is 401; nobody writes what the
engine keeps (ids, versions, owners) or moves a record out of their own reach."""

from __future__ import annotations

import pytest

from ..conftest import SHIPPED_BUNDLE, write_bundle
from .conftest import create, person


def test_no_credentials_is_401(crm) -> None:
    anonymous = crm.application.test_client()
    for method, url in (("get", "/api/customer"), ("post", "/api/customer"),
                        ("get", "/api/meta/entities"), ("get", "/api/customer/1/history")):
        response = getattr(anonymous, method)(url, json={} if method == "post" else None)
        assert response.status_code == 401, url
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization" in response.json["errors"]


@pytest.mark.parametrize(("who", "method", "url", "operation"), [
    ("wang", "delete", "/api/customer/{c}", "delete"),
    ("auditor", "post", "/api/customer", "create"),
    ("auditor", "patch", "/api/customer/{c}", "change"),
    ("service", "patch", "/api/customer/{c}", "change"),
    ("finance", "get", "/api/activity", "read"),
    ("wang", "post", "/api/customer/bulk", "import"),
    ("wang", "get", "/api/customer/deleted", "delete"),
    ("service", "post", "/api/product", "create"),
])
def test_an_operation_the_role_lacks_is_403(crm, org, who, method, url, operation) -> None:
    customer = create(org["wang"], "customer", name="星河")
    body = {"items": [{"name": "x"}]} if url.endswith("bulk") else {"name": "x"}
    kwargs = {"json": body} if method in ("post", "patch") else {}
    response = getattr(org[who], method)(url.format(c=customer), **kwargs)
    assert response.status_code == 403, response.json
    assert response.json["errors"]["_request"][0].startswith(f"You may not {operation} ")


@pytest.mark.parametrize("field", ["id", "version", "created_by", "updated_at", "deleted_at"])
def test_system_fields_cannot_be_mass_assigned(crm, org, field) -> None:
    customer = create(org["wang"], "customer", name="星河")
    for response in (org["wang"].post("/api/customer", json={"name": "x", field: 1}),
                     org["wang"].patch(f"/api/customer/{customer}", json={field: 1})):
        assert response.status_code == 422
        assert list(response.json["errors"]) == [field]
    assert org["wang"].get(f"/api/customer/{customer}").json["version"] == 1


def test_the_owner_cannot_be_mass_assigned(crm, org) -> None:
    given = org["wang"].post("/api/customer", json={"name": "x", "owner": org["liu"].id})
    assert given.status_code == 422 and list(given.json["errors"]) == ["owner"]
    mine = create(org["wang"], "customer", name="星河")
    assert org["wang"].get(f"/api/customer/{mine}").json["owner"] == org["wang"].id
    moved = org["wang"].patch(f"/api/customer/{mine}", json={"owner": org["liu"].id})
    assert moved.status_code == 422
    assert org["liu"].get(f"/api/customer/{mine}").status_code == 404


def test_handing_a_record_to_someone_else_needs_transfer(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/assistant.yaml": """
        role: assistant
        permissions:
          customer:
            operations: [read, create, update]
            scope: all
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    assistant = person(crm, "assistant", roles=("assistant",))
    other = person(crm, "other", roles=("salesperson",))
    refused = assistant.post("/api/customer", json={"name": "x", "owner": other.id})
    assert refused.status_code == 422
    assert refused.json["errors"]["owner"] == [
        "Giving a record to someone else is a transfer, which your role may not do."]
    unowned = assistant.post("/api/customer", json={"name": "x", "owner": None})
    assert unowned.status_code == 201 and unowned.json["owner"] is None
    director = person(crm, "director", roles=("sales_director",))
    given = director.post("/api/customer", json={"name": "y", "owner": other.id})
    assert given.status_code == 201 and given.json["owner"] == other.id
    assert given.json["owner_since"] is not None


def test_nobody_writes_a_record_out_of_their_own_reach(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/lead_desk.yaml": """
        role: lead_desk
        permissions:
          customer:
            operations: [read, create, update]
            where: {lifecycle: [potential, lead]}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    desk = person(crm, "desk", roles=("lead_desk",))
    refused = desk.post("/api/customer", json={"name": "x", "lifecycle": "opportunity"})
    assert refused.status_code == 403
    assert "outside the Customers you may change" in refused.json["errors"]["_request"][0]
    lead = create(desk, "customer", name="线索", lifecycle="lead")
    promoted = desk.patch(f"/api/customer/{lead}", json={"lifecycle": "opportunity"})
    assert promoted.status_code == 403
    record = desk.get(f"/api/customer/{lead}").json
    assert record["lifecycle"] == "lead" and record["version"] == 1  # nothing was written
    assert desk.ids("/api/customer") == [lead]


def test_subordinates_reach_down_the_whole_reporting_line(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/line.yaml": """
        role: line_manager
        permissions:
          customer:
            operations: [read, update]
            scope: subordinates
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    top = person(crm, "top", roles=("line_manager", "salesperson"))
    middle = person(crm, "middle", roles=("line_manager", "salesperson"), manager="top")
    bottom = person(crm, "bottom", roles=("salesperson",), manager="middle")
    aside = person(crm, "aside", roles=("salesperson",))
    held = {who.username: create(who, "customer", name=who.username)
            for who in (top, middle, bottom, aside)}
    assert top.ids("/api/customer") == sorted(held[n] for n in ("top", "middle", "bottom"))
    assert middle.ids("/api/customer") == sorted(held[n] for n in ("middle", "bottom"))
    assert bottom.ids("/api/customer") == [held["bottom"]]
    assert top.patch(f"/api/customer/{held['bottom']}", json={"grade": "A"}).status_code == 200
    assert middle.get(f"/api/customer/{held['top']}").status_code == 404


def test_a_hold_limit_stops_creating_past_it(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/sales.yaml": """
        extend_role: salesperson
        permissions:
          customer: {hold_limit: 2}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    wang = person(crm, "wang", roles=("salesperson",))
    create(wang, "customer", name="一")
    # a salesperson does not mark customers as signed; the director does
    create(crm, "customer", name="签约", owner=wang.id, lifecycle="customer",
           phone="021-5555 0100")
    create(wang, "customer", name="二")  # the signed customer does not count
    refused = wang.post("/api/customer", json={"name": "三"})
    assert refused.status_code == 409
    assert refused.json["errors"]["_request"] == [
        "Would hold more than the limit: 2 Customers held, at most 2 allowed."]
    assert len(wang.ids("/api/customer")) == 3


def test_roles_change_at_run_time_through_customizations(crm, org) -> None:
    widen = {"extend_role": "salesperson",
             "permissions": {"customer": {"operations": ["read", "create", "update", "delete",
                                                      "claim", "release"]}}}
    refused = org["wang"].post("/api/meta/customizations", json=widen)
    assert refused.status_code == 403
    assert crm.post("/api/meta/customizations", json=widen).status_code == 201
    customer = create(org["wang"], "customer", name="星河")
    assert org["wang"].delete(f"/api/customer/{customer}").status_code == 204
    new_role = {"role": "intern", "permissions": {"product": {"operations": ["read"]}}}
    assert crm.post("/api/meta/customizations", json=new_role).status_code == 201
    intern = person(crm, "intern", roles=("intern",))
    assert intern.get("/api/product").status_code == 200
    assert intern.get("/api/customer").status_code == 403
    broken = crm.post("/api/meta/customizations",
                      json={"extend_role": "salesman", "permissions": {}})
    assert broken.status_code == 422
    assert broken.json["errors"]["_request"] == [
        "cannot extend unknown role 'salesman' (did you mean 'sales_manager'?)"]


def test_the_owner_changes_only_by_claim_release_or_transfer(crm, org) -> None:
    customer = create(org["wang"], "customer", name="星河")
    moved = org["director"].patch(f"/api/customer/{customer}", json={"owner": org["liu"].id})
    assert moved.status_code == 422
    assert moved.json["errors"]["owner"] == [
        ("The owner changes hands by claim, release or transfer (POST /api/customer/transfer), "
        "not by editing the record.")]
    same = org["director"].patch(f"/api/customer/{customer}",
                                 json={"owner": org["wang"].id, "grade": "A"})
    assert same.status_code == 200


def test_the_assignment_time_is_the_engines_alone(crm, org) -> None:
    refused = org["director"].post("/api/customer", json={
        "name": "x", "owner": org["wang"].id, "owner_since": "2099-01-01T00:00:00+00:00"})
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["owner_since"]


def test_nobody_is_given_records_past_their_hold_limit(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/sales.yaml": """
        extend_role: salesperson
        permissions:
          customer: {hold_limit: 2}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    wang = person(crm, "wang", roles=("salesperson",))
    director = person(crm, "director", roles=("sales_director",))
    create(director, "customer", name="一", owner=wang.id)
    bulk = director.post("/api/customer/bulk", json={"items": [
        {"name": "二", "owner": wang.id}, {"name": "三", "owner": wang.id}]})
    assert bulk.status_code == 409
    assert "at most 2 allowed" in bulk.json["errors"]["_request"][0]
    assert len(wang.ids("/api/customer")) == 1  # all or nothing
    create(director, "customer", name="二", owner=wang.id)
    assert director.post("/api/customer", json={"name": "三", "owner": wang.id}
                         ).status_code == 409


def test_a_hold_limit_cannot_be_escaped_by_toggling_an_excluded_value(make_client, tmp_path
                                                                      ) -> None:
    template = write_bundle(tmp_path / "template", {"roles/sales.yaml": """
        extend_role: salesperson
        permissions:
          customer: {hold_limit: 1}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    liu = person(crm, "liu", roles=("salesperson",))
    director = person(crm, "director", roles=("sales_director",))
    lead = create(liu, "customer", name="线索")
    # the salesperson may not sign the lead (that was the way out of the limit)...
    assert liu.patch(f"/api/customer/{lead}", json={"lifecycle": "customer",
                                                    "phone": "021-5555 0100"}
                     ).status_code == 422
    signed = director.patch(f"/api/customer/{lead}", json={"lifecycle": "customer",
                                                           "phone": "021-5555 0100"})
    assert signed.status_code == 200  # ...the director does; signed customers do not count
    create(liu, "customer", name="第二个线索")
    back = director.patch(f"/api/customer/{lead}", json={"lifecycle": "lead"})
    assert back.status_code == 409  # it would count again, past liu's limit
    assert liu.get(f"/api/customer/{lead}").json["lifecycle"] == "customer"


def test_extending_a_role_on_an_entity_its_default_covers_keeps_the_default(crm, org) -> None:
    narrow = {"extend_role": "auditor",
              "permissions": {"customer": {"fields": {"annual_revenue": "hidden"}}}}
    create(org["wang"], "customer", name="星河", annual_revenue="100")
    assert crm.post("/api/meta/customizations", json=narrow).status_code == 201
    items = org["auditor"].get("/api/customer").json["items"]
    assert len(items) == 1 and "annual_revenue" not in items[0]


def test_the_recycle_bin_shows_only_what_its_reader_may_read(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/cleaning.yaml": """
        role: a_reader
        permissions:
          customer:
            operations: [read]
            where: {grade: A}
        ---
        role: deleter
        permissions:
          customer:
            operations: [delete]
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    cleaner = person(crm, "cleaner", roles=("a_reader", "deleter"))
    shown, unseen = (create(crm, "customer", name=g, grade=g) for g in ("A", "B"))
    for record_id in (shown, unseen):
        assert crm.delete(f"/api/customer/{record_id}").status_code == 204
    assert [i["id"] for i in cleaner.get("/api/customer/deleted").json["items"]] == [shown]
