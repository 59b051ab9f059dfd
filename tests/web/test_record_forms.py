"""Records are created and changed from generated forms that post to the engine's own
create and update: what the API refuses, the form refuses, next to the field, in the
user's language; a stale form is not saved over someone else's change."""

from __future__ import annotations

import json
import re
from html import unescape

from ..access.conftest import create
from ..identity.conftest import add_user, signed_in


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def session_of(crm, username: str, **profile):  # type: ignore[no-untyped-def]
    add_user(crm, username, **profile)
    return signed_in(crm, username)


def test_a_salesperson_creates_a_customer_from_the_form(crm):
    wang = session_of(crm, "wang")
    form = wang.get("/customer/new")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'name="name"' in html and 'name="grade"' in html
    assert 'name="owner"' not in html  # read-only for a salesperson: not offered
    assert 'name="code"' not in html and 'name="won_amount"' not in html  # computed
    saved = wang.post("/customer/new", data={"csrf_token": wang.csrf, "name": "星河贸易",
                                             "grade": "A", "annual_revenue": "12,000,000.50",
                                             "employees": "36"})
    assert saved.status_code == 303
    record_id = int(saved.headers["Location"].rsplit("/", 1)[1])
    record = wang.get(f"/api/customer/{record_id}").json
    assert (record["name"], record["grade"], record["annual_revenue"], record["employees"]) == (
        "星河贸易", "A", "12000000.50", 36)
    assert record["owner"] == wang.me["id"]  # the default ($user) applies


def test_what_the_api_refuses_comes_back_next_to_its_field(crm):
    wang = session_of(crm, "wang", language="zh")
    response = wang.post("/customer/new", data={"csrf_token": wang.csrf, "name": "",
                                                "employees": "many", "grade": "Z"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # Each message sits in its own field's block, in the user's language.
    name_block = html[html.index('id="f-name"'):html.index('id="f-code"')
                      if 'id="f-code"' in html else html.index('id="f-short_name"')]
    assert "必填" in unescape(name_block)
    employees_block = html[html.index('id="f-employees"'):]
    assert 'class="error"' in employees_block[:800]
    assert 'value="many"' in html  # what was typed stays
    assert wang.get("/api/customer").json["items"] == []  # nothing saved


def test_a_form_post_without_the_sessions_csrf_token_is_refused(crm):
    wang = session_of(crm, "wang")
    response = wang.post("/customer/new", data={"name": "星河贸易"})
    assert response.status_code == 403
    assert wang.get("/api/customer").json["items"] == []


def test_editing_keeps_the_version_and_a_stale_form_is_not_saved(crm):
    wang = session_of(crm, "wang")
    record = create(wang_api := _api(crm, wang), "customer", name="星河贸易", grade="B")
    form = wang.get(f"/customer/{record}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in form and 'value="星河贸易"' in form
    # Someone else changes the record after the form was opened.
    assert wang_api.patch(f"/api/customer/{record}", json={"grade": "C"}).status_code == 200
    stale = wang.post(f"/customer/{record}/edit", data={"csrf_token": wang.csrf, "version": "1",
                                                        "name": "星河贸易集团", "grade": "A"})
    assert stale.status_code == 412
    assert "changed this record at" in text_of(stale)
    assert 'value="星河贸易集团"' in stale.get_data(as_text=True)  # their typing is kept
    assert wang_api.get(f"/api/customer/{record}").json["grade"] == "C"
    saved = wang.post(f"/customer/{record}/edit", data={"csrf_token": wang.csrf, "version": "2",
                                                        "name": "星河贸易集团", "grade": "A"})
    assert saved.status_code == 303
    after = wang_api.get(f"/api/customer/{record}").json
    assert (after["name"], after["grade"], after["version"]) == ("星河贸易集团", "A", 3)


def test_a_record_outside_the_scope_cannot_be_edited_from_a_page(crm):
    wang, liu = session_of(crm, "wang"), session_of(crm, "liu")
    record = create(_api(crm, liu), "customer", name="刘的客户")
    assert wang.get(f"/customer/{record}/edit").status_code == 404
    refused = wang.post(f"/customer/{record}/edit", data={"csrf_token": wang.csrf,
                                                          "version": "1", "name": "抢走"})
    assert refused.status_code == 404
    assert _api(crm, liu).get(f"/api/customer/{record}").json["name"] == "刘的客户"


def test_reference_controls_offer_only_records_the_viewer_may_read(crm):
    wang, liu = session_of(crm, "wang"), session_of(crm, "liu")
    create(_api(crm, wang), "customer", name="星河贸易")
    create(_api(crm, liu), "customer", name="星海物流")
    options = wang.get("/customer/choices?q=星").get_data(as_text=True)
    assert "星河贸易" in options and "星海物流" not in options
    people = wang.get("/users/choices?q=liu").get_data(as_text=True)
    assert re.search(r'<option value="liu" data-id="\d+">', people)


def test_a_reference_control_shows_the_title_and_sends_the_id(crm):
    wang, liu = session_of(crm, "wang"), session_of(crm, "liu")
    mine = create(_api(crm, wang), "customer", name="星河贸易")
    theirs = create(_api(crm, liu), "customer", name="星海物流")
    html = wang.get(f"/contact/new?customer={mine}").get_data(as_text=True)
    assert re.search(r'<input id="f-customer" data-pick="f-customer-value" name="q" '
                     r'form="f-customer-lookup" value="星河贸易"', html)
    assert f'<input type="hidden" id="f-customer-value" name="customer" value="{mine}">' in html
    # A record out of the viewer's reach shows as its number, never its title.
    html = wang.get(f"/contact/new?customer={theirs}").get_data(as_text=True)
    assert f'value="#{theirs}"' in html and "星海物流" not in html
    # Two records of one title: each offer names its record.
    twin = create(_api(crm, wang), "customer", name="星河贸易")
    options = wang.get("/customer/choices?q=星河").get_data(as_text=True)
    assert f'value="星河贸易 · #{mine}" data-id="{mine}"' in options
    assert f'value="星河贸易 · #{twin}" data-id="{twin}"' in options


class _api:  # noqa: N801  (a session client used as the API, with its CSRF header)
    def __init__(self, crm, session):  # type: ignore[no-untyped-def]
        self.session = session

    def _headers(self, kw):  # type: ignore[no-untyped-def]
        return {"X-CSRF-Token": self.session.csrf, **kw.pop("headers", {})}

    def get(self, url, **kw):  # type: ignore[no-untyped-def]
        return self.session.get(url, **kw)

    def post(self, url, **kw):  # type: ignore[no-untyped-def]
        return self.session.post(url, headers=self._headers(kw), **kw)

    def patch(self, url, **kw):  # type: ignore[no-untyped-def]
        return self.session.patch(url, headers=self._headers(kw), **kw)


def test_an_edit_form_carries_what_its_conditions_read_but_nothing_hidden(crm):
    # Conditions in the browser read the fields the form offers no control for (the
    # owner, read-only to a salesperson); a field a role hides is not among them.
    zhao = session_of(crm, "zhao", roles=("salesperson", "service_agent"))
    record = create(crm, "customer", name="星河贸易", annual_revenue="5000000.00",
                    owner=zhao.me["id"])
    html = zhao.get(f"/customer/{record}/edit").get_data(as_text=True)
    values = json.loads(unescape(re.search(r'data-values="([^"]*)"', html).group(1)))
    assert values["owner"] == ["user", str(zhao.me["id"])]
    assert "name" not in values  # a control of the form
    assert 'name="annual_revenue"' not in html and "annual_revenue" not in values
    assert "5000000" not in html
    assert 'data-type="string"' in html  # each control says its field's type
