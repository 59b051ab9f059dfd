"""The public pool (公海) on pages: the records nobody holds, each with a claim
button that is the API's claim; a held record's page offers its return with a
reason, the API's release."""

from __future__ import annotations

import re
from html import unescape

from ..access.conftest import create


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_pool_lists_unowned_customers_with_claim_buttons(crm, org):
    pooled = create(crm, "customer", name="公海客户", owner=None)  # as the administrator
    held = create(org["wang"], "customer", name="王的客户")
    page = org["liu"].get("/customer/pool")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "公海客户" in html and "王的客户" not in html
    assert f'data-api="/api/customer/{pooled}/claim"' in html
    assert f"/api/customer/{held}/claim" not in html


def test_a_role_that_cannot_claim_gets_no_pool(crm, org):
    assert org["finance"].get("/customer/pool").status_code in (403, 404)
    assert org["finance"].get("/api/customer/pool").status_code in (403, 404)


def test_an_entity_without_a_pool_has_no_pool_page(crm, org):
    response = org["wang"].get("/opportunity/pool")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_the_holder_may_return_the_record_with_a_reason(crm, org):
    held = create(org["wang"], "customer", name="王的客户")
    own = org["wang"].get(f"/customer/{held}").get_data(as_text=True)
    assert f'data-api="/api/customer/{held}/release"' in own and 'name="reason"' in own
    boss = org["east_boss"].get(f"/customer/{held}").get_data(as_text=True)
    assert "/release" not in boss  # the manager reads it but does not hold it

