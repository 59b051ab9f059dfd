"""Each field type has its control on a form, and a post reads back as the value the
API takes: a box per option of a multi-choice, a yes/no box, a date-time in UTC,
JSON as text, record pickers; a refused post keeps every control as it was sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from ..conftest import write_bundle
from ..identity.conftest import add_user, signed_in

FILES = {
    "entities/visit.yaml": """
        entity: visit
        title: subject
        fields:
          subject: {type: string, required: true, max_length: 20}
          topics: {type: multi_choice, options: [pricing, delivery, service]}
          urgent: {type: boolean}
          starts_at: {type: datetime}
          details: {type: json}
          budget: {type: money}
          attendees: {type: integer}
          labels: {type: multi_reference, to: label}
        """,
    "entities/label.yaml": """
        entity: label
        title: name
        fields:
          name: {type: string, required: true}
        """,
    "roles/seller.yaml": """
        role: seller
        permissions:
          visit: {operations: [read, create, update]}
          label: {operations: [read, create]}
        """,
}


@pytest.fixture
def seller(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "visits", FILES))
    add_user(client, "wang", roles=("seller",))
    return signed_in(client, "wang")


def _form(seller, **fields):  # type: ignore[no-untyped-def]
    return MultiDict([("csrf_token", seller.csrf), *(
        (name, v) for name, value in fields.items()
        for v in (value if isinstance(value, list) else [value]))])


def test_a_post_reads_back_as_the_values_the_api_takes(seller):
    html = seller.get("/visit/new").get_data(as_text=True)
    # A multi-choice is a group of boxes under one legend, one per option.
    assert re.search(r'<fieldset class="checks" id="f-topics">\s*<legend>Topics', html)
    assert html.count('name="topics" value=') == 3
    # A date-time control has no offset: its label says the time it takes is UTC.
    assert '<label for="f-starts_at">Starts at <span class="muted">(UTC)</span></label>' in html
    saved = seller.post("/visit/new", data=_form(
        seller, subject="Site visit", topics=["pricing", "service"], urgent="on",
        starts_at="2026-12-03T09:30", details='{"room": "A3"}', budget="12,000.50",
        attendees="4"))
    assert saved.status_code == 303, saved.get_data(as_text=True)
    visit = seller.get(saved.headers["Location"].replace("/visit/", "/api/visit/")).json
    assert (visit["topics"], visit["urgent"], visit["starts_at"], visit["details"],
            visit["budget"], visit["attendees"]) == (
        ["pricing", "service"], True, "2026-12-03T09:30:00+00:00", {"room": "A3"},
        "12000.50", 4)
    edit = seller.get(f"/visit/{visit['id']}/edit").get_data(as_text=True)
    assert 'value="pricing" checked' in edit and 'value="delivery">' in edit
    assert 'value="2026-12-03T09:30"' in edit and "{&#34;room&#34;: &#34;A3&#34;}" in edit
    # Untick everything: the list is cleared, the box is off.
    cleared = seller.post(f"/visit/{visit['id']}/edit", data=_form(
        seller, version=str(visit["version"]), subject="Site visit"))
    assert cleared.status_code == 303
    again = seller.get(f"/api/visit/{visit['id']}").json
    assert (again["topics"], again["urgent"], again["details"]) == ([], False, None)


def test_a_refused_post_keeps_every_control_as_it_was_sent(seller):
    refused = seller.post("/visit/new", data=_form(
        seller, subject="x" * 30, topics=["delivery"], urgent="on", details="{not json",
        budget="12,000.50"))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="delivery" checked' in html and 'value="pricing">' in html
    assert re.search(r'id="f-urgent" name="urgent" checked', html)
    assert "{not json</textarea>" in html and 'value="12,000.50"' in html
    assert "Longer than maximum length 20." in html


def test_many_references_are_chips_with_titles_each_posting_its_id(seller):
    vip, new = (seller.post("/api/label", json={"name": name},
                            headers={"X-CSRF-Token": seller.csrf}).json["id"]
                for name in ("VIP", "新客户"))
    saved = seller.post("/visit/new", data=_form(seller, subject="Visit",
                                                 labels=[str(vip), str(new)]))
    assert saved.status_code == 303
    visit = seller.get(saved.headers["Location"].replace("/visit/", "/api/visit/")).json
    assert visit["labels"] == [vip, new]
    edit = seller.get(f"/visit/{visit['id']}/edit").get_data(as_text=True)
    chips = re.findall(r'<li class="chip"><input type="hidden" name="labels" value="(\d+)">'
                       r'<span>([^<]+)</span>', edit)
    assert chips == [(str(vip), "VIP"), (str(new), "新客户")]
    cleared = seller.post(f"/visit/{visit['id']}/edit", data=_form(
        seller, version=str(visit["version"]), subject="Visit"))
    assert cleared.status_code == 303
    assert seller.get(f"/api/visit/{visit['id']}").json["labels"] == []
    # A refused post keeps its chips.
    refused = seller.post("/visit/new", data=_form(seller, subject="x" * 30,
                                                   labels=[str(new)]))
    assert refused.status_code == 422
    assert f'value="{new}"><span>新客户</span>' in refused.get_data(as_text=True)


DEFAULTS = {
    "entities/ticket.yaml": """
        entity: ticket
        title: subject
        owned_by: owner
        fields:
          subject: {type: string, required: true}
          kind: {type: choice, options: [question, fault], default: fault}
          billable: {type: boolean, default: true}
          discount: {type: percent, default: 5}
          due: {type: date, default: $today}
          owner: {type: user, default: $user}
        """,
    "roles/desk.yaml": """
        role: desk
        permissions:
          ticket: {operations: [read, create, update], scope: own}
        """,
}


def test_a_new_form_starts_with_the_fields_defaults(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "tickets", DEFAULTS))
    add_user(client, "wang", roles=("desk",))
    desk = signed_in(client, "wang")
    html = desk.get("/ticket/new").get_data(as_text=True)
    # What the record would get if the control were left alone is what the control shows.
    assert '<option value="fault" selected>' in html
    assert re.search(r'id="f-billable" name="billable" checked', html)
    assert re.search(r'id="f-discount" name="discount" type="text" value="5.00"', html)
    assert re.search(r'id="f-due" name="due" type="date" value="\d{4}-\d\d-\d\d"', html)
    # The user default: the picker shows who, and holds their id.
    assert re.search(r'id="f-owner"[^>]* value="wang"', html)
    assert re.search(r'id="f-owner-value" name="owner" value="\d+"', html)
    # A default the address gives (a related list's New) still wins.
    assert '<option value="question" selected>' in desk.get(
        "/ticket/new?kind=question").get_data(as_text=True)
    # Saved untouched, a default true box stays true (an unticked box would be false).
    saved = desk.post("/ticket/new", data=MultiDict([
        ("csrf_token", desk.csrf), ("subject", "Printer"), ("kind", "fault"),
        ("billable", "on"), ("discount", "5.00")]))
    assert saved.status_code == 303, saved.get_data(as_text=True)
    ticket = desk.get(saved.headers["Location"].replace("/ticket/", "/api/ticket/")).json
    assert (ticket["kind"], ticket["billable"], ticket["discount"]) == ("fault", True, "5.00")
