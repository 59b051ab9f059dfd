"""/api/roles: the roles the definitions define, readable by everyone signed in."""

from __future__ import annotations

from .conftest import add_user, bearer


def test_roles_read_as_a_summary_of_their_grants(crm) -> None:
    add_user(crm, "wang")
    response = crm.get("/api/roles", headers=bearer(crm, "wang"))
    assert response.status_code == 200
    roles = {r["name"]: r for r in response.json["items"]}
    assert set(roles) == {"admin", "auditor", "finance", "finance_manager", "sales_director",
                          "sales_manager", "salesperson", "service_agent", "service_engineer"}
    salesperson = roles["salesperson"]
    assert salesperson["label"] == "Salesperson" and salesperson["admin"] is False
    customer = next(g for g in salesperson["grants"] if g["entity"] == "customer")
    assert customer == {"entity": "customer", "label": "Customers",
                        "operations": ["read", "create", "update", "claim", "release"],
                        "scope": "own", "where": {}, "hidden": [],
                        "readonly": ["lifecycle", "owner", "owner_since"], "hold_limit": 100}
    service = next(g for g in roles["service_agent"]["grants"] if g["entity"] == "customer")
    assert service["hidden"] == ["annual_revenue", "open_opportunities", "won_amount"]
    finance = next(g for g in roles["finance"]["grants"] if g["entity"] == "customer")
    assert finance["where"] == {"lifecycle": ["customer"]}
    admin = roles["admin"]
    assert admin["admin"] is True
    assert admin["grants"] == [{"entity": "*", "label": None,
                                "operations": ["read", "create", "update", "delete", "export",
                                               "import", "transfer", "claim", "release",
                                               "comment", "design"],
                                "scope": "all", "where": {}, "hidden": [], "readonly": [],
                                "hold_limit": None}]


def test_role_texts_follow_the_request_language(crm, anonymous) -> None:
    roles = crm.get("/api/roles", headers={"Accept-Language": "zh"}).json["items"]
    salesperson = next(r for r in roles if r["name"] == "salesperson")
    assert salesperson["label"] == "销售人员" and salesperson["help"].startswith("跟进自己的客户")
    assert anonymous.get("/api/roles").status_code == 401
