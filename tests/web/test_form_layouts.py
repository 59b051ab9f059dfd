"""Pages follow the entity's form layout: tabs, sections with their columns and
collapsing, field spans, help and placeholders, the conditions as data for the
browser, related lists within the viewer's scope, the list's columns and a quick
create form; a manager's layout differs from a salesperson's."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from ..conftest import write_bundle
from ..identity.conftest import add_user, signed_in

FILES = {
    "entities/deal.yaml": """
        entity: deal
        title: name
        fields:
          name: {type: string, required: true, label: {en: Name, zh: 名称}}
          stage: {type: choice, options: [open, won, lost]}
          amount: {type: money}
          lost_reason: {type: string}
          margin: {type: percent}
          notes: {type: text}
          region: {type: string}
          owner: {type: user, default: $user}
        owned_by: owner
        """,
    "entities/note.yaml": """
        entity: note
        title: body
        fields:
          body: {type: string, required: true}
          deal: {type: reference, to: deal}
          owner: {type: user, default: $user}
        owned_by: owner
        """,
    "roles/seller.yaml": """
        role: seller
        permissions:
          deal: {operations: [read, create, update], scope: own, fields: {margin: hidden}}
          note: {operations: [read, create], scope: own}
        """,
    "roles/manager.yaml": """
        role: manager
        permissions:
          deal: {operations: [read, create, update]}
          note: {operations: [read, create]}
        """,
    "forms/deal.yaml": """
        form: deal_main
        entity: deal
        list: {columns: [name, amount]}
        quick_create:
          fields: [name, {field: amount, placeholder: {en: "0.00", zh: "金额"}}, region]
        tabs:
          - name: main
            label: {en: Deal, zh: 交易}
            sections:
              - title: {en: Basics, zh: 基本信息}
                columns: 3
                fields:
                  - {field: name, span: 2, help: {en: As the customer says it}}
                  - stage
                  - {field: amount, readonly_if: "stage == 'won'"}
                  - field: lost_reason
                    visible_if: "stage == 'lost'"
                    required_if: "stage == 'lost'"
          - name: more
            label: {en: More, zh: 更多}
            sections:
              - title: {en: Notes, zh: 备注}
                collapsible: true
                collapsed: true
                visible_if: "amount > 0"
                fields: [notes]
        related:
          - {entity: note, via: deal, columns: [body], label: {en: Notes, zh: 跟进}}
        ---
        form: deal_manager
        entity: deal
        roles: [manager]
        list: {columns: [name, amount, margin]}
        sections:
          - fields: [name, stage, amount, margin, lost_reason, notes]
        """,
}


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def deals(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "deals", FILES))
    for name, role in (("wang", "seller"), ("liu", "seller"), ("boss", "manager")):
        add_user(client, name, roles=(role,))
    return client


def test_the_form_shows_the_layouts_tabs_sections_and_conditions(deals):
    wang = signed_in(deals, "wang")
    html = wang.get("/deal/new").get_data(as_text=True)
    assert 'role="tablist"' in html
    assert html.index('id="tab-main"') < html.index('id="tab-more"')
    assert '<h2 class="section-title">Basics</h2>' in html
    assert 'class="fields cols-3"' in html
    assert 'class="field span-2" data-field="name"' in html
    assert "As the customer says it" in html
    assert ('data-field="lost_reason" data-visible-if="stage == &#39;lost&#39;" '
            'data-required-if="stage == &#39;lost&#39;"') in html
    assert 'data-field="amount" data-readonly-if="stage == &#39;won&#39;"' in html
    # A collapsed section starts closed and carries its condition.
    assert re.search(r'<details class="section" id="s-1-0" data-visible-if="amount &gt; 0">'
                     r'<summary>Notes</summary>', html)
    assert 'name="margin"' not in html  # hidden from a seller


def test_a_managers_layout_shows_what_theirs_says(deals):
    boss = signed_in(deals, "boss")
    html = boss.get("/deal/new").get_data(as_text=True)
    assert 'role="tablist"' not in html  # one tab: no tab bar
    assert 'name="margin"' in html and 'data-required-if' not in html


def test_a_form_post_leaves_fields_the_layout_does_not_show_alone(deals):
    wang = signed_in(deals, "wang")
    deal = wang.post("/api/deal", json={"name": "A", "region": "east"},
                     headers={"X-CSRF-Token": wang.csrf}).json
    form = wang.get(f"/deal/{deal['id']}/edit").get_data(as_text=True)
    assert 'name="region"' not in form  # the seller's layout leaves it out
    saved = wang.post(f"/deal/{deal['id']}/edit", data={
        "csrf_token": wang.csrf, "version": "1", "name": "B", "stage": "open",
        "amount": "", "lost_reason": "", "notes": ""})
    assert saved.status_code == 303
    after = wang.get(f"/api/deal/{deal['id']}").json
    assert (after["name"], after["region"]) == ("B", "east")


def test_required_if_comes_back_next_to_its_field_in_the_users_language(deals):
    wang = signed_in(deals, "wang")
    wang.patch(f"/api/users/{wang.me['id']}", json={"language": "zh"},
               headers={"X-CSRF-Token": wang.csrf})
    response = wang.post("/deal/new", data={"csrf_token": wang.csrf, "name": "A",
                                            "stage": "lost"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    block = html[html.index('data-field="lost_reason"'):]
    assert "表单要求填写" in unescape(block[:1500])
    assert wang.get("/api/deal").json["items"] == []


def test_the_record_page_shows_the_layout_and_related_lists_in_scope(deals):
    wang, liu = signed_in(deals, "wang"), signed_in(deals, "liu")
    boss = signed_in(deals, "boss")
    deal = wang.post("/api/deal", json={"name": "Big deal", "amount": "500.00"},
                     headers={"X-CSRF-Token": wang.csrf}).json
    for who, body in ((wang, "wang's call"), (boss, "boss's visit")):
        assert who.post("/api/note", json={"body": body, "deal": deal["id"]},
                        headers={"X-CSRF-Token": who.csrf}).status_code == 201
    page = wang.get(f"/deal/{deal['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="tab-main"' in html and 'data-field="stage"' in html
    assert 'data-field="lost_reason"' not in html  # its visible_if: stage == 'lost'
    text = text_of(page)
    assert "Notes" in text and "wang's call" in text
    assert "boss's visit" not in text  # a seller reads only their own notes
    assert f"/note/new?deal={deal['id']}" in html
    assert "boss's visit" not in text_of(boss.get(f"/deal/{deal['id']}"))  # no list there
    assert liu.get(f"/deal/{deal['id']}").status_code == 404


def test_a_managers_record_page_has_no_related_lists_their_layout_lacks(deals):
    boss = signed_in(deals, "boss")
    deal = boss.post("/api/deal", json={"name": "D"}, headers={"X-CSRF-Token": boss.csrf}).json
    boss.post("/api/note", json={"body": "visit", "deal": deal["id"]},
              headers={"X-CSRF-Token": boss.csrf})
    html = boss.get(f"/deal/{deal['id']}").get_data(as_text=True)
    assert 'class="related"' not in html


def test_the_list_shows_the_layouts_columns_and_a_quick_create(deals):
    wang = signed_in(deals, "wang")
    wang.post("/api/deal", json={"name": "A", "amount": "10.00", "lost_reason": "x"},
              headers={"X-CSRF-Token": wang.csrf})
    page = wang.get("/deal")
    html = page.get_data(as_text=True)
    headers = re.findall(r'<th scope="col"[^>]*><a [^>]*>([^<]+)</a>', html)
    assert [h.strip() for h in headers] == ["Name", "Amount"]
    assert '<details class="quick-create">' in html
    quick = html[html.index('class="quick-create"'):html.index('class="filters"')]
    assert 'name="name"' in quick and 'placeholder="0.00"' in quick
    assert 'name="stage"' not in quick
    created = wang.post("/deal/new", data={"csrf_token": wang.csrf, "name": "Quick",
                                           "amount": "99", "region": "north"})
    assert created.status_code == 303
    deals_now = wang.get("/api/deal?sort=name").json["items"]
    assert [(d["name"], d["region"]) for d in deals_now] == [("A", None), ("Quick", "north")]


def test_a_managers_list_has_their_columns(deals):
    boss = signed_in(deals, "boss")
    boss.post("/api/deal", json={"name": "A"}, headers={"X-CSRF-Token": boss.csrf})
    html = boss.get("/deal").get_data(as_text=True)
    headers = re.findall(r'<th scope="col"[^>]*><a [^>]*>([^<]+)</a>', html)
    assert [h.strip() for h in headers] == ["Name", "Amount", "Margin"]
    assert 'class="quick-create"' not in html  # their layout has none


def test_the_shipped_crm_lays_out_every_entity_in_both_languages(crm):
    from metacrm.catalog_loader import load_catalog

    from ..conftest import SHIPPED_BUNDLE

    catalog = load_catalog([SHIPPED_BUNDLE])
    assert {f.entity for f in catalog.forms.values()} == set(catalog.entities)
    for form in catalog.forms.values():
        assert form.label.get("en") and form.label.as_dict().get("zh"), form.name
        for tab in form.tabs:
            for section in tab.sections:
                assert not section.title or section.title.as_dict().get("zh"), form.name
    lost_reason = catalog.forms["opportunity_main"].field("lost_reason")
    assert (lost_reason.visible_if, lost_reason.required_if) == ("stage == 'lost'",) * 2


def test_a_salesperson_and_a_manager_see_their_customer_layouts(crm):
    add_user(crm, "wang", roles=("salesperson",), language="zh")
    add_user(crm, "boss", roles=("sales_director",))
    wang, boss = signed_in(crm, "wang"), signed_in(crm, "boss")
    html = wang.get("/opportunity/new").get_data(as_text=True)
    assert 'data-required-if="stage == &#39;lost&#39;"' in html
    assert "基本信息" in html and "一句话说明输单的关键原因" in html
    customer = wang.post("/api/customer", json={"name": "星河贸易"},
                         headers={"X-CSRF-Token": wang.csrf}).json
    mine = wang.get(f"/customer/{customer['id']}").get_data(as_text=True)
    theirs = boss.get(f"/customer/{customer['id']}").get_data(as_text=True)
    # The manager's layout opens with the figures; the salesperson's keeps them folded.
    assert theirs.index('data-field="won_amount"') < theirs.index('data-field="name"')
    assert mine.index('data-field="name"') < mine.index('data-field="won_amount"')
    assert "跟进时间线" in mine and "Follow-up timeline" in theirs


def test_the_meta_api_gives_each_caller_their_layout(deals):
    wang, boss = signed_in(deals, "wang"), signed_in(deals, "boss")
    mine = wang.get("/api/meta/entities/deal").json["form"]
    assert mine["name"] == "deal_main" and [t["name"] for t in mine["tabs"]] == ["main", "more"]
    lost = mine["tabs"][0]["sections"][0]["fields"][3]
    assert lost == {"field": "lost_reason", "span": 1, "visible_if": "stage == 'lost'",
                    "required_if": "stage == 'lost'"}
    assert mine["related"] == [{"entity": "note", "via": "deal", "label": "Notes",
                                "columns": ["body"], "limit": 10}]
    theirs = boss.get("/api/meta/entities/deal").json["form"]
    assert theirs["name"] == "deal_manager" and theirs["list_columns"] == [
        "name", "amount", "margin"]
    assert wang.get("/api/meta/entities/note").json["form"] is None  # generated


def test_a_record_page_leaves_out_what_the_form_would_hide(deals):
    wang = signed_in(deals, "wang")
    headers = {"X-CSRF-Token": wang.csrf}
    open_deal = wang.post("/api/deal", json={"name": "Open", "stage": "open", "amount": "0"},
                          headers=headers).json
    lost = wang.post("/api/deal", json={"name": "Lost", "stage": "lost", "amount": "5.00",
                                        "lost_reason": "Price", "notes": "Call in May"},
                     headers=headers).json
    shown = wang.get(f"/deal/{open_deal['id']}").get_data(as_text=True)
    assert 'data-field="lost_reason"' not in shown  # visible_if: stage == 'lost'
    assert 'data-field="notes"' not in shown  # its section's visible_if: amount > 0
    page = wang.get(f"/deal/{lost['id']}").get_data(as_text=True)
    assert 'data-field="lost_reason"' in page and "Price" in page
    assert 'data-field="notes"' in page and "Call in May" in page


def test_without_a_layout_a_record_page_lists_what_references_it(make_client, tmp_path: Path):
    client = make_client(write_bundle(tmp_path / "clinic", {
        "entities/clinic.yaml": """
            entity: patient
            title: name
            fields:
              name: {type: string, required: true}
            ---
            entity: visit
            title: reason
            fields:
              reason: {type: string, required: true}
              patient: {type: reference, to: patient, label: {en: Patient, zh: 患者}}
              referred_by: {type: reference, to: patient, label: {en: Referred by, zh: 推荐人}}
            """,
        "roles/desk.yaml": """
            role: desk
            permissions:
              patient: {operations: [read, create]}
              visit: {operations: [read, create]}
            """}))
    add_user(client, "desk", roles=("desk",))
    desk = signed_in(client, "desk")
    post = lambda path, body: desk.post(path, json=body,  # noqa: E731
                                        headers={"X-CSRF-Token": desk.csrf}).json
    li, wu = post("/api/patient", {"name": "Li"}), post("/api/patient", {"name": "Wu"})
    post("/api/visit", {"reason": "Check-up", "patient": li["id"], "referred_by": wu["id"]})
    page = desk.get(f"/patient/{li['id']}")
    html = page.get_data(as_text=True)
    assert html.count('class="related"') == 2  # one list per reference to a patient
    text = text_of(page)
    assert "Visit · Patient" in text and "Visit · Referred by" in text  # (no plural given)
    assert "Check-up" in text and f"/visit/new?patient={li['id']}" in html
    zh = text_of(desk.get(f"/patient/{wu['id']}?lang=zh"))
    assert "推荐人" in zh and "Check-up" in zh
