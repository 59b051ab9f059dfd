"""Hidden fields never leave the server; read-only fields cannot be written."""

from __future__ import annotations

import pytest

from ..conftest import SHIPPED_BUNDLE, write_bundle
from .conftest import create, person

HIDDEN = "annual_revenue"  # the service agent role hides revenue figures


@pytest.fixture
def customer(crm, org):  # type: ignore[no-untyped-def]
    return create(org["wang"], "customer", name="星河贸易", annual_revenue="12000000",
                  city="上海")


def test_a_hidden_field_is_in_no_response(crm, org, customer) -> None:
    service = org["service"]
    record = service.get(f"/api/customer/{customer}").json
    assert record["name"] == "星河贸易" and HIDDEN not in record
    assert "won_amount" not in record and "open_opportunities" not in record
    assert all(HIDDEN not in item for item in service.get("/api/customer").json["items"])
    create(org["wang"], "contact", name="王经理", customer=customer)
    expanded = service.get("/api/contact?expand=customer").json["items"][0]["customer"]
    assert expanded["name"] == "星河贸易" and HIDDEN not in expanded
    org["wang"].patch(f"/api/customer/{customer}", json={HIDDEN: "13000000"})
    history = service.get(f"/api/customer/{customer}/history").json["items"]
    assert history and all(HIDDEN not in entry["changes"] for entry in history)
    assert any(HIDDEN in entry["changes"]
               for entry in org["wang"].get(f"/api/customer/{customer}/history").json["items"])


@pytest.mark.parametrize("query", [f"{HIDDEN}__gt=1", f"sort=-{HIDDEN}", f"fields=name,{HIDDEN}",
                                   f"{HIDDEN}=12000000", f"{HIDDEN}__isnull=false"])
def test_a_hidden_field_cannot_be_filtered_sorted_or_selected(crm, org, customer, query) -> None:
    response = org["service"].get(f"/api/customer?{query}")
    assert response.status_code == 400
    (messages,) = response.json["errors"].values()
    assert messages == [f"unknown field '{HIDDEN}' of 'customer'"]  # no hint that it exists


def test_a_filter_through_a_reference_cannot_reach_a_hidden_field(crm, org, customer) -> None:
    create(org["wang"], "contact", name="王经理", customer=customer)
    response = org["service"].get(f"/api/contact?customer.{HIDDEN}__gt=0")
    assert response.status_code == 400
    assert org["wang"].get(f"/api/contact?customer.{HIDDEN}__gt=0").status_code == 200


def test_the_meta_description_leaves_hidden_fields_out(crm, org) -> None:
    fields = {f["name"]: f for f in org["service"].get("/api/meta/entities/customer")
              .json["fields"]}
    assert HIDDEN not in fields and "name" in fields
    salesperson = {f["name"]: f for f in org["wang"].get("/api/meta/entities/customer")
                   .json["fields"]}
    assert salesperson["owner"]["readonly"] is True and salesperson["name"]["readonly"] is False


def test_writing_a_hidden_field_is_an_unknown_field(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/sales.yaml": """
        extend_role: salesperson
        permissions:
          contact:
            fields: {wechat: hidden}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    wang = person(crm, "wang", roles=("salesperson",))
    customer = create(wang, "customer", name="星河")
    response = wang.post("/api/contact", json={"name": "x", "customer": customer,
                                               "wechat": "xinghe"})
    assert response.status_code == 422
    assert response.json["errors"] == {"wechat": ["Unknown field."]}
    contact = create(wang, "contact", name="王经理", customer=customer)
    patched = wang.patch(f"/api/contact/{contact}", json={"wechat": "x"})
    assert patched.status_code == 422 and list(patched.json["errors"]) == ["wechat"]


def test_a_read_only_field_cannot_be_written(crm, org, customer) -> None:
    response = org["wang"].patch(f"/api/customer/{customer}", json={"owner": org["liu"].id})
    assert response.status_code == 422
    assert response.json["errors"] == {"owner": ["This field is read-only."]}
    created = org["wang"].post("/api/customer", json={"name": "x", "owner_since": "2026-01-01"})
    assert created.status_code == 422 and list(created.json["errors"]) == ["owner_since"]
    # sending an unchanged value back (a whole record) is not a write
    record = org["wang"].get(f"/api/customer/{customer}").json
    same = org["wang"].patch(f"/api/customer/{customer}",
                             json={"owner": record["owner"], "name": "星河贸易有限公司"})
    assert same.status_code == 200, same.json


def test_a_formula_computed_from_a_hidden_field_is_hidden_too(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/agent.yaml": """
        extend_role: service_agent
        permissions:
          opportunity:
            operations: [read]
            fields: {amount: hidden}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    owner = person(crm, "owner", roles=("sales_director",))
    agent = person(crm, "agent", roles=("service_agent",))
    customer = create(owner, "customer", name="星河")
    deal = create(owner, "opportunity", name="ERP", customer=customer, amount="100000",
                  probability="40")
    assert owner.get(f"/api/opportunity/{deal}").json["weighted_amount"] == "40000.00"
    seen = agent.get(f"/api/opportunity/{deal}").json
    assert "amount" not in seen and "weighted_amount" not in seen and seen["name"] == "ERP"
    assert agent.get("/api/opportunity?weighted_amount__gt=1").status_code == 400


def test_searching_skips_hidden_fields(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/agent.yaml": """
        extend_role: service_agent
        permissions:
          customer:
            fields: {phone: hidden}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    owner = person(crm, "owner", roles=("sales_director",))
    agent = person(crm, "agent", roles=("service_agent",))
    create(owner, "customer", name="星河", phone="021-5555 0188")
    assert len(owner.ids("/api/customer?q=5555")) == 1
    assert agent.ids("/api/customer?q=5555") == []  # a hidden phone cannot be guessed
    assert len(agent.ids("/api/customer?q=星河")) == 1


def test_the_openapi_document_describes_the_callers_api(crm, org) -> None:
    anonymous = crm.application.test_client()
    assert anonymous.get("/api/openapi.json").status_code == 401
    service = org["service"].get("/api/openapi.json").json
    customer = service["components"]["schemas"]["Customer"]["properties"]
    assert "name" in customer and HIDDEN not in customer
    finance = org["finance"].get("/api/openapi.json").json
    assert "/api/customer" in finance["paths"] and "/api/activity" not in finance["paths"]
    everything = crm.get("/api/openapi.json").json
    assert HIDDEN in everything["components"]["schemas"]["Customer"]["properties"]


def test_a_field_any_of_the_users_roles_hides_stays_hidden(crm, org) -> None:
    both = person(crm, "both", roles=("service_agent", "salesperson"))
    theirs = create(org["yang"], "customer", name="杨的客户", annual_revenue="5000000")
    mine = create(both, "customer", name="双角色客户")
    refused = both.post("/api/customer", json={"name": "x", HIDDEN: "100"})
    assert refused.status_code == 422 and refused.json["errors"] == {HIDDEN: ["Unknown field."]}
    for record_id in (theirs, mine):
        assert HIDDEN not in both.get(f"/api/customer/{record_id}").json


def test_a_write_answers_only_what_the_writer_may_read(make_client, tmp_path) -> None:
    template = write_bundle(tmp_path / "template", {"roles/fixer.yaml": """
        role: fixer
        permissions:
          customer:
            operations: [update]
            fields: {annual_revenue: hidden}
        ---
        role: editor
        permissions:
          customer:
            operations: [read, update]
            fields: {annual_revenue: hidden}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    customer = create(crm, "customer", name="星河", annual_revenue="8000000", phone="021-1")
    fixer = person(crm, "fixer", roles=("fixer",))
    assert fixer.get(f"/api/customer/{customer}").status_code == 403
    answer = fixer.patch(f"/api/customer/{customer}", json={"city": "上海"})
    assert answer.status_code == 200
    assert answer.json == {"id": customer, "version": 2}  # it may change, not read
    editor = person(crm, "editor", roles=("editor",))
    changed = editor.patch(f"/api/customer/{customer}", json={"city": "北京"}).json
    assert changed["city"] == "北京" and HIDDEN not in changed


def test_a_rule_about_a_hidden_field_does_not_name_it(make_client, tmp_path) -> None:
    # (the sales director: salespeople do not mark customers as signed)
    template = write_bundle(tmp_path / "template", {"roles/sales.yaml": """
        extend_role: sales_director
        permissions:
          customer:
            fields: {phone: hidden}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    wang = person(crm, "wang", roles=("sales_director",))
    customer = create(wang, "customer", name="星河")
    refused = wang.patch(f"/api/customer/{customer}", json={"lifecycle": "customer"})
    assert refused.status_code == 422
    assert refused.json["errors"] == {
        "_record": ["A rule about fields you cannot see refuses this change."]}
    rules = wang.get("/api/meta/entities/customer").json["rules"]
    assert all("phone" not in rule["check"] for rule in rules)
