"""A form refused for a reason that is not a field's (a hold limit) comes back as it
was typed, with the reason at its top: nothing typed is lost to an error page."""

from __future__ import annotations

from pathlib import Path

from werkzeug.datastructures import MultiDict

from ..conftest import SHIPPED_BUNDLE, write_bundle
from ..identity.conftest import add_user, signed_in


def test_a_new_customer_past_the_hold_limit_comes_back_as_typed(make_client, tmp_path: Path
                                                                 ) -> None:
    template = write_bundle(tmp_path / "template", {"roles/sales.yaml": """
        extend_role: salesperson
        permissions:
          customer: {hold_limit: 1}
        """}, name="template", requires=("crm",))
    crm = make_client(SHIPPED_BUNDLE, template)
    add_user(crm, "wang", roles=("salesperson",))
    wang = signed_in(crm, "wang")

    def post(name: str):  # type: ignore[no-untyped-def]
        return wang.post("/customer/new", data=MultiDict([
            ("csrf_token", wang.csrf), ("name", name), ("city", "杭州")]))

    assert post("星河贸易有限公司").status_code == 303
    refused = post("银河物流有限公司")
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "at most 1 allowed" in html
    assert 'value="银河物流有限公司"' in html and 'value="杭州"' in html
    assert len(wang.get("/api/customer").get_json()["items"]) == 1
