"""The recycle bin on a page: deleted records for those who may delete them, each
restored through the API's restore; nobody else sees it."""

from __future__ import annotations

from ..access.conftest import create


def test_deleted_records_are_listed_for_those_who_may_delete(crm, org):
    record = create(org["wang"], "customer", name="删掉的客户")
    assert crm.delete(f"/api/customer/{record}").status_code == 204  # as the administrator
    html = crm.get("/customer/deleted").get_data(as_text=True)
    assert "删掉的客户" in html
    assert f'data-api="/api/customer/{record}/restore"' in html
    assert org["auditor"].get("/customer/deleted").status_code == 403
