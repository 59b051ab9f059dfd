"""The form designer's page: the layout as cards for those who may design it (and a
link in their navigation), nobody else; conditions checked as they are typed, in
the page's language; the form previewed as a role sees it."""

from __future__ import annotations

import json


def test_the_designer_shows_the_layout_as_cards_for_administrators(crm, org) -> None:
    html = crm.get("/customer/design").get_data(as_text=True)
    assert 'data-form="customer_main"' in html
    assert 'class="dcard dspan-1" data-field="grade"' in html
    assert html.count('class="dsection"') >= 3
    assert 'href="/customer/design"' in html  # the navigation's link, to this entity
    assert "<script>" not in html  # script files only (the CSP runs no inline script)
    # Every field of the layout is placed: the palette starts empty.
    assert '<ol class="dfields palette" data-empty="Every field is placed."></ol>' in html


def test_only_those_who_may_design_see_the_page_and_its_link(crm, org) -> None:
    assert org["wang"].get("/customer/design").status_code == 403
    assert "/design" not in org["wang"].get("/customer").get_data(as_text=True)
    assert org["wang"].get("/customer/design/preview?role=salesperson").status_code == 403
    assert org["wang"].post("/customer/design/condition",
                            data={"visible_if": "true"}).status_code == 403


def test_a_condition_is_checked_as_it_is_typed_in_the_pages_language(crm, org) -> None:
    said = crm.post("/customer/design/condition", data={"visible_if": "stag == 'won'"})
    assert said.status_code == 200
    assert "unknown name &#39;stag&#39; (did you mean &#39;stage&#39;?)" in said.get_data(
        as_text=True)
    fine = crm.post("/customer/design/condition", data={"required_if": "grade == 'A'"})
    assert "Valid condition" in fine.get_data(as_text=True)
    zh = crm.post("/customer/design/condition?lang=zh", data={"visible_if": "annual_revenue"})
    assert "而这里需要真或假" in zh.get_data(as_text=True)


def test_the_preview_shows_the_form_as_the_role_sees_it(crm, org) -> None:
    agent = crm.get("/customer/design/preview?role=service_agent").get_data(as_text=True)
    assert 'data-field="name"' in agent
    assert 'data-field="annual_revenue"' not in agent  # the service agent's role hides it
    admin = crm.get("/customer/design/preview?role=admin").get_data(as_text=True)
    assert 'data-field="annual_revenue"' in admin
    assert crm.get("/customer/design/preview?role=nonesuch").status_code == 404


def test_the_preview_shows_a_layout_before_it_is_saved(crm, org) -> None:
    draft = {"form": "customer_main", "entity": "customer", "sections": [
        {"title": {"en": "Only two", "zh": "只有两个"}, "fields": ["name", "grade"]}]}
    shown = crm.post("/customer/design/preview", data={
        "role": "salesperson", "document": json.dumps(draft)}).get_data(as_text=True)
    assert 'data-field="grade"' in shown and 'data-field="phone"' not in shown
    assert "once saved" in shown
    assert crm.get("/api/meta/forms/customer_main/versions").json["items"] == []
    bad = {**draft, "sections": [{"fields": ["name", "nonesuch"]}]}
    refused = crm.post("/customer/design/preview", data={
        "role": "salesperson", "document": json.dumps(bad)})
    assert refused.status_code == 422
    assert "unknown field &#39;nonesuch&#39;" in refused.get_data(as_text=True)


def test_saved_versions_are_listed_with_the_way_back(crm, org) -> None:
    start = crm.get("/api/meta/forms/customer_main").json["document"]
    first = crm.put("/api/meta/forms/customer_main", json=start).json["id"]
    crm.put("/api/meta/forms/customer_main", json=start)
    html = crm.get("/customer/design").get_data(as_text=True)
    assert f'data-action="revert" data-version="{first}"' in html
    assert 'data-action="revert" data-version="0"' in html  # the layout as shipped
