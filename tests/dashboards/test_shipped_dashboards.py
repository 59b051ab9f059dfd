"""The shipped CRM's dashboards work for the people they are for: every widget of the
salesperson's, the sales manager's and finance's is shown to them and answers."""

from __future__ import annotations

import pytest

from ..conftest import token_for


@pytest.mark.parametrize(("role", "dashboard"), [
    ("salesperson", "sales"), ("sales_manager", "sales_management"),
    ("sales_director", "sales_management"), ("finance", "finance"),
    ("finance_manager", "finance")])
def test_every_widget_of_a_shipped_dashboard_answers_its_people(crm, role: str,
                                                                dashboard: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token_for(crm.application, 'u', roles=(role,))}"}
    assert crm.get("/api/dashboards", headers=headers).get_json()["default"] == dashboard
    shown = crm.get(f"/api/dashboards/{dashboard}", headers=headers).get_json()["widgets"]
    defined = crm.application.extensions["metacrm"].compiled.catalog.dashboards[dashboard]
    assert len(shown) == len(defined.widgets)  # none left out: they may run them all
    for widget in shown:
        response = crm.get(f"/api/dashboards/{dashboard}/widgets/{widget['index']}",
                           headers=headers)
        assert response.status_code == 200, (widget, response.get_json())
        assert response.get_json()["kind"] == widget["kind"]
    page = crm.get(f"/dashboard/{dashboard}", headers=headers).get_data(as_text=True)
    assert page.count('class="widget-body"') == len(defined.widgets)
