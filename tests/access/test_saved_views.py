"""Saved list views: a name for a list query, private to whoever saved it or shared by
an administrator with roles; checked as a list query when saved, and run as the
reader (their scope) when opened."""

from __future__ import annotations

from .conftest import create


def test_a_salesperson_saves_a_private_view(crm, org):
    wang = org["wang"]
    saved = wang.post("/api/customer/views", json={"name": "A 级客户",
                                                   "query": "grade=A&sort=-annual_revenue"})
    assert saved.status_code == 201, saved.json
    assert saved.json["query"] == "grade=A&sort=-annual_revenue" and saved.json["roles"] == []
    assert [v["name"] for v in wang.get("/api/customer/views").json["items"]] == ["A 级客户"]
    assert org["liu"].get("/api/customer/views").json["items"] == []  # private


def test_a_view_is_checked_as_the_list_query_it_stands_for(crm, org):
    wang = org["wang"]
    bad = wang.post("/api/customer/views", json={"name": "x", "query": "grade__gtx=A"})
    assert bad.status_code == 422
    assert bad.json["errors"]["query"][0].startswith("In the list query, grade__gtx: unknown op")
    hidden = org["service"].post("/api/customer/views",
                                 json={"name": "x", "query": "sort=-annual_revenue"})
    assert hidden.status_code == 422  # a field hidden from the saver does not exist for them
    paged = wang.post("/api/customer/views", json={"name": "p", "query": "grade=A&cursor=abc"})
    assert paged.status_code == 201 and paged.json["query"] == "grade=A"  # page, not view
    assert wang.post("/api/customer/views", json={"name": "p", "query": ""}).status_code == 409
    for body in ({"query": "grade=A"}, {"name": "x" * 101}, {"name": "x", "query": 5},
                 {"name": "x", "extra": 1}):
        assert wang.post("/api/customer/views", json=body).status_code == 422, body


def test_only_administrators_share_views_with_roles(crm, org):
    refused = org["east_boss"].post("/api/customer/views",
                                    json={"name": "团队", "query": "", "roles": ["salesperson"]})
    assert refused.status_code == 403
    shared = crm.post("/api/customer/views", json={"name": "重点客户", "query": "grade=A",
                                                   "roles": ["salesperson"]})
    assert shared.status_code == 201
    assert [v["name"] for v in org["wang"].get("/api/customer/views").json["items"]] == ["重点客户"]
    assert org["finance"].get("/api/customer/views").json["items"] == []
    unknown = crm.post("/api/customer/views", json={"name": "y", "query": "",
                                                    "roles": ["nobody_role"]})
    assert unknown.status_code == 422
    # A reader cannot remove a view shared with them; its owner can.
    view_id = shared.json["id"]
    assert org["wang"].delete(f"/api/customer/views/{view_id}").status_code == 404
    assert crm.delete(f"/api/customer/views/{view_id}").status_code == 204


def test_a_shared_view_shows_each_reader_only_their_records(crm, org):
    create(org["wang"], "customer", name="王的A客户", grade="A")
    create(org["yang"], "customer", name="杨的A客户", grade="A")
    crm.post("/api/customer/views", json={"name": "A", "query": "grade=A",
                                          "roles": ["salesperson"]})
    html = org["wang"].get("/customer").get_data(as_text=True)
    assert 'href="?grade=A"' in html
    page = org["wang"].get("/customer?grade=A").get_data(as_text=True)
    assert "王的A客户" in page and "杨的A客户" not in page
