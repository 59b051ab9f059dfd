"""Who may export what: the `read` and `export` operations, the records both reach,
and never a hidden field (not in the header, not in a value, not in a filter)."""

from __future__ import annotations

from typing import Any

import pytest

from ..access.conftest import create, person
from ..api.conftest import cached_catalogs  # noqa: F401  (a fixture, used by name)
from ..conftest import SHIPPED_BUNDLE, write_bundle
from .sales import csv_rows as rows

pytestmark = pytest.mark.usefixtures("cached_catalogs")

# The shipped service agent and salesperson may read customers but not export them;
# this bundle lets them, keeping their scopes and hidden fields.
EXPORTING = {
    "roles/exporting.yaml": """
        extend_role: service_agent
        permissions:
          customer:
            operations: [read, export]
        ---
        extend_role: salesperson
        permissions:
          customer:
            operations: [read, create, update, claim, release, export]
        ---
        role: browser
        label: {en: Browser, zh: 浏览者}
        permissions:
          customer:
            operations: [read]
        """,
}


@pytest.fixture
def exporting(make_client, tmp_path):  # type: ignore[no-untyped-def]
    return make_client(SHIPPED_BUNDLE, write_bundle(tmp_path / "exporting", EXPORTING,
                                                    name="exporting", requires=("crm",)))


def _book(crm: Any) -> dict[str, Any]:
    wang = person(crm, "wang", roles=("salesperson",))
    liu = person(crm, "liu", roles=("salesperson",))
    return {
        "wang": wang, "liu": liu,
        "wang_customer": create(crm, "customer", name="上海星河贸易有限公司", owner=wang.id,
                                annual_revenue="12345678"),
        "liu_customer": create(crm, "customer", name="杭州江南丝绸有限公司", owner=liu.id,
                               annual_revenue="87654321"),
        "pool": create(crm, "customer", name="公海客户", owner=None,
                       lifecycle="public_pool"),
    }


def test_without_the_export_operation_it_is_403(crm) -> None:
    b = _book(crm)
    agent = person(crm, "agent", roles=("service_agent",))
    for who in (b["wang"], agent):
        response = who.get("/api/customer/export")
        assert response.status_code == 403
        assert response.json["errors"]["_request"] == ["You may not export Customers."]
    nobody = person(crm, "nobody")
    assert nobody.get("/api/customer/export").status_code == 403


def test_hidden_fields_never_appear(exporting) -> None:
    _book(exporting)
    agent = person(exporting, "agent", roles=("service_agent",))
    response = agent.get("/api/customer/export")
    found = rows(response)
    assert len(found) == 3
    for hidden in ("annual_revenue", "won_amount", "open_opportunities"):
        assert hidden not in found[0]
    assert b"12345678" not in response.data and b"87654321" not in response.data
    as_json = agent.get("/api/customer/export?format=json").data.decode()
    assert "annual_revenue" not in as_json and "12345678" not in as_json


def test_a_hidden_field_cannot_be_asked_for(exporting, subtests) -> None:
    _book(exporting)
    agent = person(exporting, "agent", roles=("service_agent",))
    for query in ("fields=name,annual_revenue", "annual_revenue__gte=1",
                  "sort=annual_revenue"):
        with subtests.test(query):
            response = agent.get(f"/api/customer/export?{query}")
            assert response.status_code == 400
            assert "unknown field 'annual_revenue'" in str(response.json["errors"])


def test_a_salesperson_exports_what_they_may_read_only(exporting) -> None:
    b = _book(exporting)
    found = [int(r["id"]) for r in rows(b["wang"].get("/api/customer/export"))]
    # their own customer and the pool, as their list shows; never a colleague's
    assert sorted(found) == sorted([b["wang_customer"], b["pool"]]) == b["wang"].ids(
        "/api/customer")


def test_reading_more_than_one_may_export_exports_the_smaller_set(exporting) -> None:
    b = _book(exporting)
    both = person(exporting, "both", roles=("browser", "salesperson"))
    mine = create(both, "customer", name="自己的客户")
    assert len(both.ids("/api/customer")) == 4  # browser reads every customer
    found = sorted(int(r["id"]) for r in rows(both.get("/api/customer/export")))
    assert found == sorted([mine, b["pool"]])  # but exports only as a salesperson
