"""Creating, reading, changing and deleting one record (and many at once) through
the REST API, and every way the API refuses bad input (docs/api.md, "Writing")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ..conftest import create_as_platform, write_bundle

pytestmark = pytest.mark.usefixtures("cached_catalogs")

ZH = {"Accept-Language": "zh"}

# A small bundle for the cases the shipped CRM does not have.
RULES_BUNDLE = {
    "entities/deal.yaml": """
        entity: deal
        fields:
          title: {type: string, required: true, max_length: 40}
          low: {type: integer}
          high: {type: integer}
          signed_on: {type: date}
          frozen_note: {type: string, readonly: true}
        rules:
          - name: range_is_ordered
            check: "low == null || high == null || low <= high"
            message: {en: The range is upside down, zh: 范围上下颠倒}
          - name: signed_deal_has_low
            when: "signed_on != null"
            check: "low != null"
            field: low
            message: {en: A signed deal needs a low value, zh: 已签约的交易需要最低值}
        """,
}


@pytest.fixture
def deals(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "deals", RULES_BUNDLE))


def _customer(crm, **values):  # type: ignore[no-untyped-def]
    response = crm.post("/api/customer", json={"name": "上海星河贸易有限公司", **values})
    assert response.status_code == 201, response.json
    return response.json


def _count(client, entity: str) -> int:  # type: ignore[no-untyped-def]
    return client.get(f"/api/{entity}?count=true&limit=1").json["count"]


# --- create -------------------------------------------------------------------


def test_create_answers_201_with_location_etag_and_the_stored_record(crm, admin_id) -> None:
    response = crm.post("/api/customer", json={
        "name": "上海星河贸易有限公司", "grade": "A", "city": "上海",
        "annual_revenue": 1250000, "employees": 120, "email": "info@xinghe.cn"})

    assert response.status_code == 201, response.json
    record = response.json
    assert response.headers["Location"].endswith(f"/api/customer/{record['id']}")
    assert response.headers["ETag"] == '"1"'
    assert record["version"] == 1
    assert record["name"] == "上海星河贸易有限公司"
    assert record["annual_revenue"] == "1250000.00"  # money travels as a string
    assert record["employees"] == 120
    assert record["code"] == "CUS-000001"  # autonumber
    assert record["lifecycle"] == "potential"  # literal default
    assert record["tags"] == []
    assert record["created_by"] == record["updated_by"] == admin_id()
    assert record["created_at"] == record["updated_at"]
    created = datetime.fromisoformat(record["created_at"])
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)

    fetched = crm.get(response.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.json == record


def test_autonumbers_count_up_per_entity(crm) -> None:
    codes = [_customer(crm, name=f"客户{i}")["code"] for i in range(3)]
    assert codes == ["CUS-000001", "CUS-000002", "CUS-000003"]
    opportunity = crm.post("/api/opportunity", json={"name": "ERP", "customer": 1}).json
    assert opportunity["code"] == "OPP-000001"


def test_defaults_fill_what_the_client_left_out_including_the_current_user(crm,
                                                                           admin_id) -> None:
    customer = _customer(crm)
    before = datetime.now(UTC)
    activity = crm.post("/api/activity", json={"customer": customer["id"], "subject": "首次拜访"})
    assert activity.status_code == 201, activity.json
    assert activity.json["type"] == "call"  # literal default
    assert activity.json["owner"] == admin_id()  # $user
    occurred = datetime.fromisoformat(activity.json["occurred_at"])  # $now
    assert before - timedelta(seconds=5) <= occurred <= datetime.now(UTC)

    contact = crm.post("/api/contact", json={"customer": customer["id"], "name": "王经理"}).json
    assert contact["is_primary"] is False
    tag = crm.post("/api/tag", json={"name": "重点"}).json
    assert tag["color"] == "#5b8ff9"


def test_a_given_value_wins_over_the_default(crm, add_user) -> None:
    customer = _customer(crm)
    other = add_user(crm, "li.na", "李娜")
    activity = crm.post("/api/activity", json={
        "customer": customer["id"], "subject": "微信沟通", "type": "wechat", "owner": other,
        "occurred_at": "2026-03-01T09:30:00+00:00"}).json
    assert (activity["type"], activity["owner"]) == ("wechat", other)
    assert activity["occurred_at"] == "2026-03-01T09:30:00+00:00"


def test_formula_is_computed_on_create_and_recomputed_on_every_change(crm) -> None:
    customer = _customer(crm)
    created = crm.post("/api/opportunity", json={
        "name": "CRM 实施", "customer": customer["id"], "amount": "200000", "probability": 30})
    assert created.status_code == 201, created.json
    assert created.json["weighted_amount"] == "60000.00"

    changed = crm.patch(f"/api/opportunity/{created.json['id']}", json={"probability": 80})
    assert changed.json["weighted_amount"] == "160000.00"
    cleared = crm.patch(f"/api/opportunity/{created.json['id']}", json={"amount": None})
    assert cleared.json["weighted_amount"] is None  # a field it needs is empty
    listed = crm.get("/api/opportunity?weighted_amount__isnull=true").json["items"]
    assert [o["id"] for o in listed] == [created.json["id"]]  # stored, so filterable


def test_decimal_values_accept_numbers_and_strings_and_come_back_as_strings(crm) -> None:
    as_number = _customer(crm, annual_revenue=99.5)
    as_text = _customer(crm, name="B", annual_revenue="99.50")
    assert as_number["annual_revenue"] == as_text["annual_revenue"] == "99.50"


def test_datetimes_with_an_offset_are_stored_in_utc(crm) -> None:
    customer = _customer(crm)
    activity = crm.post("/api/activity", json={
        "customer": customer["id"], "subject": "晨会", "occurred_at": "2026-03-01T08:00:00+08:00"})
    assert activity.json["occurred_at"] == "2026-03-01T00:00:00+00:00"


# --- get, patch, delete -------------------------------------------------------


def test_patch_changes_only_the_given_fields_and_raises_the_version(crm) -> None:
    customer = _customer(crm, grade="B", city="上海")
    response = crm.patch(f"/api/customer/{customer['id']}", json={"grade": "A", "city": "北京"})

    assert response.status_code == 200, response.json
    assert response.headers["ETag"] == '"2"'
    changed = response.json
    assert (changed["grade"], changed["city"], changed["version"]) == ("A", "北京", 2)
    assert changed["name"] == customer["name"]
    assert changed["code"] == customer["code"]
    assert changed["created_at"] == customer["created_at"]
    assert changed["updated_at"] > customer["updated_at"]
    assert crm.get(f"/api/customer/{customer['id']}").json == changed


def test_patch_can_clear_an_optional_field(crm) -> None:
    customer = _customer(crm, city="上海")
    response = crm.patch(f"/api/customer/{customer['id']}", json={"city": None})
    assert response.status_code == 200
    assert response.json["city"] is None


def test_patch_with_nothing_new_keeps_the_version(crm) -> None:
    customer = _customer(crm, city="上海")
    response = crm.patch(f"/api/customer/{customer['id']}", json={"city": "上海"})
    assert response.status_code == 200
    assert response.json["version"] == 1


def test_delete_answers_204_and_the_record_is_gone(crm) -> None:
    customer = _customer(crm)
    response = crm.delete(f"/api/customer/{customer['id']}")
    assert response.status_code == 204
    assert response.data == b""
    assert crm.get(f"/api/customer/{customer['id']}").status_code == 404
    assert crm.patch(f"/api/customer/{customer['id']}", json={"city": "x"}).status_code == 404
    assert crm.delete(f"/api/customer/{customer['id']}").status_code == 404


def test_the_database_row_holds_what_the_api_said(crm, db) -> None:
    customer = _customer(crm, grade="A")
    crm.patch(f"/api/customer/{customer['id']}", json={"grade": "C"})
    with db.connect() as conn:
        row = conn.execute(sa.text("SELECT name, grade, code, version, deleted_at "
                                   "FROM customer WHERE id = :id"), {"id": customer["id"]}).one()
    assert tuple(row) == ("上海星河贸易有限公司", "C", "CUS-000001", 2, None)


# --- 404 ----------------------------------------------------------------------


def test_an_unknown_entity_is_404_with_a_suggestion(crm, subtests) -> None:
    for method, path in [("get", "/api/custmer"), ("post", "/api/custmer"),
                         ("get", "/api/custmer/1"), ("patch", "/api/custmer/1"),
                         ("delete", "/api/custmer/1"), ("post", "/api/custmer/bulk"),
                         ("get", "/api/custmer/deleted")]:
        with subtests.test(f"{method} {path}"):
            body = {"items": [{"name": "x"}]} if path.endswith("/bulk") else {"name": "x"}
            response = getattr(crm, method)(path, json=body if method in ("post", "patch")
                                            else None)
            assert response.status_code == 404
            assert response.json == {"errors": {"entity": [
                "Unknown entity 'custmer' (did you mean 'customer'?)."]}}


def test_an_unknown_id_is_404_naming_the_entity_and_id(crm, subtests) -> None:
    for method in ("get", "patch", "delete"):
        with subtests.test(method):
            response = getattr(crm, method)("/api/customer/4242",
                                            json={"city": "x"} if method == "patch" else None)
            assert response.status_code == 404
            assert list(response.json["errors"].values()) == [["No Customer with id 4242."]]


def test_an_id_too_large_for_the_database_is_simply_not_found(crm) -> None:
    assert crm.get("/api/customer/99999999999999999999").status_code == 404


# --- 422: per-field errors ------------------------------------------------------


BAD_VALUES = [
    ("emial", "a@b.cn", "Unknown field (did you mean 'email'?)."),
    ("wechat_id", "x", "Unknown field."),
    ("employees", "12", "Not a valid integer."),
    ("employees", 1.5, "Not a valid integer."),
    ("employees", -1, "Must be greater than or equal to 0."),
    ("annual_revenue", "lots", "Not a valid amount."),
    ("annual_revenue", -5, "Must be greater than or equal to 0."),
    ("name", "星" * 201, "Longer than maximum length 200."),
    ("name", 123, "Not a valid text."),
    ("email", "not-an-email", "Not a valid email address."),
    ("phone", "call me maybe", "Not a valid phone number."),
    ("website", "ftp://example.com", "Not a valid URL."),
    ("website", "xinghe", "Not a valid URL."),
    ("grade", "Z", "Must be one of: A, B, C, D."),
    ("grade", "a", "Must be one of: A, B, C, D."),
    ("next_followup_date", "2026-02-30",
     "Not a valid date: write it as YYYY-MM-DD, e.g. 2026-11-22."),
    ("tags", "1", "Not a valid list."),
    ("tags", [999], "No Tag with id 999."),
    ("owner", 999, "No user with id 999."),
    ("owner", "1", "Not a valid record id."),
    # fields no client may write
    ("id", 7, "This field is read-only."),
    ("version", 3, "This field is read-only."),
    ("created_at", "2026-01-01T00:00:00Z", "This field is read-only."),
    ("updated_by", 1, "This field is read-only."),
    ("deleted_at", None, "This field is read-only."),
    ("code", "CUS-999999", "This field is read-only."),  # autonumber
    ("won_amount", None, "This field is read-only."),  # rollup
    ("followup_count", 3, "This field is read-only."),
]


def test_a_bad_value_is_422_under_its_field_and_nothing_is_created(crm, subtests) -> None:
    for field, value, expected in BAD_VALUES:
        with subtests.test(f"{field}={value!r}"[:60]):
            response = crm.post("/api/customer", json={"name": "上海星河贸易有限公司",
                                                        field: value})
            assert response.status_code == 422, response.json
            assert response.json == {"errors": {field: [expected]}}
    assert _count(crm, "customer") == 0


def test_bounds_lengths_and_formats_of_other_kinds(crm, subtests) -> None:
    customer = _customer(crm)["id"]
    for entity, body, field, expected in [
        ("contact", {"birthday": "1900-01-01"}, "birthday",
         "Must be greater than or equal to 1920-01-01."),
        ("contact", {"birthday": "1990-02-30"}, "birthday",
         "Not a valid date: write it as YYYY-MM-DD, e.g. 2026-11-22."),
        ("contact", {"notes": "长" * 5001}, "notes", "Longer than maximum length 5000."),
        ("contact", {"is_primary": "yes"}, "is_primary", "Not a valid boolean."),
        ("contact", {"email": "a@b"}, "email", "Not a valid email address."),
        ("contact", {"mobile": "138-0000-000x"}, "mobile", "Not a valid phone number."),
        ("opportunity", {"probability": 150}, "probability",
         "Must be less than or equal to 100."),
        ("opportunity", {"probability": -1}, "probability",
         "Must be greater than or equal to 0."),
        ("opportunity", {"amount": "100000000000000000000"}, "amount",
         "Must be less than or equal to 9999999999999999.99."),
        ("opportunity", {"amount": 1e20}, "amount",
         "Must be less than or equal to 9999999999999999.99."),
        ("opportunity", {"amount": "1e20"}, "amount", "Not a valid amount."),
        ("activity", {"subject": "s", "occurred_at": "yesterday"}, "occurred_at",
         "Not a valid date and time: write it with its offset, e.g. "
         "2026-11-22T08:30:00+08:00 or 2026-11-22T00:30:00Z."),
        ("activity", {"subject": "s", "type": "fax"}, "type",
         "Must be one of: call, visit, email, meeting, wechat, sms, demo, other."),
    ]:
        with subtests.test(f"{entity}.{field}"):
            response = crm.post(f"/api/{entity}", json={"name": "x", "customer": customer,
                                                        **body} if entity != "activity"
                                else {"customer": customer, **body})
            assert response.status_code == 422, response.json
            assert response.json == {"errors": {field: [expected]}}


def test_accepted_formats(crm) -> None:
    customer = _customer(crm)["id"]
    contact = crm.post("/api/contact", json={
        "name": "王经理", "customer": customer, "mobile": "+86 138 0000 0000",
        "phone": "+86 21 5555 0000 转 801", "email": "wang.jingli@xinghe.com.cn",
        "birthday": "1985-06-30"})
    assert contact.status_code == 201, contact.json
    assert contact.json["phone"] == "+86 21 5555 0000 转 801"
    opportunity = crm.post("/api/opportunity", json={
        "name": "x", "customer": customer, "probability": "12.5", "amount": 0})
    assert opportunity.status_code == 201, opportunity.json
    assert (opportunity.json["probability"], opportunity.json["amount"]) == ("12.50", "0.00")


def test_a_number_is_not_a_boolean(crm) -> None:
    customer = _customer(crm)["id"]
    response = crm.post("/api/contact", json={"name": "x", "customer": customer,
                                               "is_primary": 1})
    assert response.status_code == 422
    assert response.json == {"errors": {"is_primary": ["Not a valid boolean."]}}


def test_range_and_special_number_messages_are_translated(crm) -> None:
    for raw in ('{"name": "x", "employees": 9223372036854775808}',
                '{"name": "x", "annual_revenue": "NaN"}', '{"name": "x", "owner": 0}'):
        response = crm.post("/api/customer", data=raw, content_type="application/json",
                            headers=ZH)
        assert response.status_code == 422
        (messages,) = response.json["errors"].values()
        assert not any(c.isascii() and c.isalpha() for c in messages[0]), messages


def test_a_decimal_with_too_many_places_is_refused(crm) -> None:
    response = crm.post("/api/customer", json={"name": "x", "annual_revenue": "10.005"})
    assert response.status_code == 422
    assert response.json["errors"]["annual_revenue"][0].startswith("Not a valid amount.")


def test_every_bad_field_is_reported_at_once(crm) -> None:
    response = crm.post("/api/customer", json={
        "emial": "x", "grade": "Z", "email": "nope", "employees": "many"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"emial", "grade", "email", "employees", "name"}
    assert response.json["errors"]["name"] == ["Missing data for required field."]


def test_a_formula_cannot_be_written(crm) -> None:
    customer = _customer(crm)
    response = crm.post("/api/opportunity", json={
        "name": "x", "customer": customer["id"], "weighted_amount": "1.00"})
    assert response.status_code == 422
    assert response.json == {"errors": {"weighted_amount": ["This field is read-only."]}}


def test_patch_refuses_system_formula_and_autonumber_fields(crm, subtests) -> None:
    customer = _customer(crm)
    opportunity = crm.post("/api/opportunity", json={"name": "x", "customer": customer["id"]})
    for field, value in [("code", "CUS-000009"), ("weighted_amount", "5.00"), ("id", 9),
                         ("version", 5), ("updated_at", "2026-01-01T00:00:00Z")]:
        with subtests.test(field):
            response = crm.patch(f"/api/opportunity/{opportunity.json['id']}",
                                 json={field: value, "name": "changed"})
            assert response.status_code == 422
            assert response.json == {"errors": {field: ["This field is read-only."]}}
    assert crm.get(f"/api/opportunity/{opportunity.json['id']}").json["version"] == 1


def test_a_readonly_field_cannot_be_changed_by_an_update(deals) -> None:
    deal = deals.post("/api/deal", json={"title": "x"}).json
    same = deals.patch(f"/api/deal/{deal['id']}", json={"frozen_note": None, "low": 1})
    assert same.status_code == 200, same.json  # sending the current value is no change
    response = deals.patch(f"/api/deal/{deal['id']}", json={"frozen_note": "changed"})
    assert response.status_code == 422
    assert response.json == {"errors": {"frozen_note": ["This field is read-only."]}}
    assert deals.get(f"/api/deal/{deal['id']}").json["version"] == 2


def test_a_readonly_field_is_set_on_create(deals) -> None:
    response = deals.post("/api/deal", json={"title": "x", "frozen_note": "as signed"})
    assert response.status_code == 201, response.json
    assert response.json["frozen_note"] == "as signed"


def test_a_readonly_field_with_a_default_gets_it(make_client, tmp_path: Path) -> None:
    client = make_client(write_bundle(tmp_path / "b", {"entities/note.yaml": """
        entity: note
        fields:
          text: {type: string}
          origin: {type: string, readonly: true, default: web}
        """}))
    response = client.post("/api/note", json={"text": "hello"})
    assert response.status_code == 201
    assert response.json["origin"] == "web"


def test_a_nul_character_in_text_is_refused(crm) -> None:
    # Refused for the whole body, whichever field it is in (see web/requests.py).
    response = crm.post("/api/customer", json={"name": "星河\u0000贸易"})
    assert response.status_code == 400


def test_references_must_name_live_records(crm) -> None:
    missing = crm.post("/api/contact", json={"name": "王经理", "customer": 999})
    assert missing.status_code == 422
    assert missing.json == {"errors": {"customer": ["No Customer with id 999."]}}

    customer = _customer(crm)
    crm.delete(f"/api/customer/{customer['id']}")
    deleted = crm.post("/api/contact", json={"name": "王经理", "customer": customer["id"]})
    assert deleted.status_code == 422
    assert deleted.json == {"errors": {"customer": [f"No Customer with id {customer['id']}."]}}

    live = _customer(crm, name="B")
    contact = crm.post("/api/contact", json={"name": "王经理", "customer": live["id"]}).json
    moved = crm.patch(f"/api/contact/{contact['id']}", json={"customer": customer["id"]})
    assert moved.status_code == 422
    assert crm.get(f"/api/contact/{contact['id']}").json["customer"] == live["id"]


def test_a_deleted_tag_cannot_be_attached(crm) -> None:
    tag = crm.post("/api/tag", json={"name": "VIP"}).json
    crm.delete(f"/api/tag/{tag['id']}")
    response = crm.post("/api/customer", json={"name": "x", "tags": [tag["id"]]})
    assert response.status_code == 422
    assert response.json == {"errors": {"tags": [f"No Tag with id {tag['id']}."]}}


def test_required_fields_must_be_given_and_cannot_be_cleared(crm) -> None:
    missing = crm.post("/api/contact", json={"position": "采购经理"})
    assert missing.status_code == 422
    assert missing.json == {"errors": {"customer": ["Missing data for required field."],
                                       "name": ["Missing data for required field."]}}

    customer = _customer(crm)
    contact = crm.post("/api/contact", json={"name": "王经理", "customer": customer["id"]}).json
    for cleared in ({"name": None}, {"name": ""}, {"customer": None}):
        response = crm.patch(f"/api/contact/{contact['id']}", json=cleared)
        assert response.status_code == 422
        assert response.json == {"errors": {next(iter(cleared)): ["Field may not be null."]}}
    assert crm.get(f"/api/contact/{contact['id']}").json["version"] == 1


def test_a_required_field_with_a_default_may_be_left_out(crm) -> None:
    customer = _customer(crm)
    opportunity = crm.post("/api/opportunity", json={"name": "x", "customer": customer["id"]})
    assert opportunity.status_code == 201
    assert opportunity.json["stage"] == "qualify"


def test_a_unique_value_taken_by_another_record_is_409_naming_the_field(crm) -> None:
    crm.post("/api/tag", json={"name": "VIP"})
    response = crm.post("/api/tag", json={"name": "VIP"})
    assert response.status_code == 409
    assert response.json == {"errors": {"name": ["This value is already used by another record."]}}

    other = crm.post("/api/tag", json={"name": "普通"}).json
    renamed = crm.patch(f"/api/tag/{other['id']}", json={"name": "VIP"})
    assert renamed.status_code == 409
    assert crm.get(f"/api/tag/{other['id']}").json["name"] == "普通"


def test_a_pattern_field_is_checked(crm) -> None:
    response = crm.post("/api/product", json={"name": "CRM", "code": "crm std"})
    assert response.status_code == 422
    assert response.json == {"errors": {"code": ["Does not match the expected format."]}}
    assert crm.post("/api/product", json={"name": "CRM", "code": "SW-CRM-STD"}).status_code \
        == 201


# --- languages ------------------------------------------------------------------


ZH_MESSAGES = [
    ({"name": "x", "email": "nope"}, "email", "不是有效的电子邮件地址。"),
    ({"name": "x", "grade": "Z"}, "grade", "必须是以下之一：A, B, C, D。"),
    ({"city": "上海"}, "name", "必填字段缺少数据。"),
    ({"name": "星" * 201}, "name", "超过最大长度 200。"),
    ({"name": "x", "employees": "many"}, "employees", "不是有效的整数。"),
    ({"name": "x", "website": "xinghe"}, "website", "不是有效的网址。"),
    ({"name": "x", "code": "C"}, "code", "该字段为只读。"),
    ({"name": "x", "tags": [77]}, "tags", "不存在 id 为 77 的标签。"),
    ({"name": "x", "lifecycle": "customer"}, "phone", "成交客户必须填写电话"),
]


def test_messages_are_in_chinese_when_the_request_asks(crm, subtests) -> None:
    for body, field, expected in ZH_MESSAGES:
        with subtests.test(field):
            response = crm.post("/api/customer", json=body, headers=ZH)
            assert response.status_code == 422
            assert response.json["errors"][field] == [expected]


def test_the_language_is_negotiated_from_accept_language(crm) -> None:
    body = {"name": "x", "email": "nope"}
    for header, expected in [("zh-CN,zh;q=0.9,en;q=0.8", "不是有效的电子邮件地址。"),
                             ("en;q=0.5,zh;q=0.9", "不是有效的电子邮件地址。"),
                             ("fr-FR", "Not a valid email address."),
                             ("", "Not a valid email address.")]:
        response = crm.post("/api/customer", json=body, headers={"Accept-Language": header})
        assert response.json["errors"]["email"] == [expected], header


def test_not_found_is_in_chinese_too(crm) -> None:
    response = crm.get("/api/customer/99", headers=ZH)
    assert response.json == {"errors": {"id": ["不存在 id 为 99 的客户。"]}}


def test_the_did_you_mean_hint_is_chinese_too(crm) -> None:
    response = crm.post("/api/customer", json={"nam": "x"}, headers=ZH)
    assert "did you mean" not in response.json["errors"]["nam"][0]


# --- 400: malformed bodies ------------------------------------------------------


def test_a_malformed_json_body_is_400(crm, subtests) -> None:
    for raw in [b"{bad json", b"", b"{\"name\": \"x\",}", b"\xff\xfe", b"{\"name\": NaN}"]:
        with subtests.test(repr(raw)):
            response = crm.post("/api/customer", data=raw, content_type="application/json")
            assert response.status_code == 400
            assert list(response.json["errors"]) == ["_request"]
            assert response.json["errors"]["_request"][0].startswith(
                "The body must be a JSON object.")
    assert _count(crm, "customer") == 0


def test_a_malformed_patch_body_is_400_and_changes_nothing(crm) -> None:
    customer = _customer(crm)
    response = crm.patch(f"/api/customer/{customer['id']}", data=b"{",
                         content_type="application/json")
    assert response.status_code == 400
    assert crm.get(f"/api/customer/{customer['id']}").json["version"] == 1


def test_a_body_that_is_not_an_object_is_400(crm) -> None:
    for body in ([{"name": "x"}], "x", 3, None):
        response = crm.post("/api/customer", json=body)
        assert response.status_code == 400, body


# --- validation rules across fields ---------------------------------------------


def test_a_rule_refuses_the_save_under_the_field_it_names(crm) -> None:
    refused = crm.post("/api/customer", json={"name": "x", "lifecycle": "customer"})
    assert refused.status_code == 422
    assert refused.json == {"errors": {"phone": ["A signed customer needs a phone number"]}}
    accepted = crm.post("/api/customer", json={"name": "x", "lifecycle": "customer",
                                               "phone": "021-5555 0101"})
    assert accepted.status_code == 201


def test_a_rule_applies_to_updates_against_the_whole_record(crm) -> None:
    customer = _customer(crm, lifecycle="lead")
    response = crm.patch(f"/api/customer/{customer['id']}", json={"lifecycle": "customer"})
    assert response.status_code == 422
    assert response.json == {"errors": {"phone": ["A signed customer needs a phone number"]}}
    assert crm.get(f"/api/customer/{customer['id']}").json["lifecycle"] == "lead"


def test_opportunity_rules_of_the_shipped_crm(crm) -> None:
    customer = _customer(crm)
    deal = crm.post("/api/opportunity", json={"name": "x", "customer": customer["id"]}).json
    lost = crm.post(f"/api/opportunity/{deal['id']}/transitions/lose")
    assert lost.status_code == 409
    assert lost.json == {"errors": {"lost_reason": ["Fill this in before “Close as lost”."]}}
    past = crm.post("/api/opportunity", json={"name": "x", "customer": customer["id"],
                                              "expected_close": "2000-01-01"}, headers=ZH)
    assert past.json == {"errors": {"expected_close": ["未关闭商机的预计成交日期不能早于今天"]}}
    # a deal closed long ago (imported) may keep its past close date
    assert create_as_platform(crm, "opportunity", name="x", customer=customer["id"],
                              stage="won", expected_close="2000-01-01")


def test_a_rule_without_a_field_reports_under_record_and_when_limits_it(deals) -> None:
    upside_down = deals.post("/api/deal", json={"title": "x", "low": 5, "high": 1})
    assert upside_down.status_code == 422
    assert upside_down.json == {"errors": {"_record": ["The range is upside down"]}}

    assert deals.post("/api/deal", json={"title": "x"}).status_code == 201  # when: false
    signed = deals.post("/api/deal", json={"title": "x", "signed_on": "2026-01-05"},
                        headers=ZH)
    assert signed.json == {"errors": {"low": ["已签约的交易需要最低值"]}}

    both = deals.post("/api/deal", json={"title": "x", "signed_on": "2026-01-05", "high": 1,
                                         "low": 9})
    assert both.json == {"errors": {"_record": ["The range is upside down"]}}


def test_field_errors_come_before_rules(deals) -> None:
    response = deals.post("/api/deal", json={"title": "x", "low": "five", "high": 1})
    assert response.status_code == 422
    assert response.json == {"errors": {"low": ["Not a valid integer."]}}


# --- bulk create ----------------------------------------------------------------


def test_bulk_creates_every_record_in_order(crm) -> None:
    response = crm.post("/api/customer/bulk", json={"items": [
        {"name": "甲"}, {"name": "乙", "grade": "B"}, {"name": "丙", "tags": []}]})
    assert response.status_code == 201, response.json
    items = response.json["items"]
    assert [i["name"] for i in items] == ["甲", "乙", "丙"]
    assert [i["code"] for i in items] == ["CUS-000001", "CUS-000002", "CUS-000003"]
    assert items[1]["grade"] == "B"
    assert all(i["version"] == 1 and i["lifecycle"] == "potential" for i in items)
    assert _count(crm, "customer") == 3


def test_bulk_is_all_or_nothing_with_errors_per_item(crm) -> None:
    response = crm.post("/api/customer/bulk", json={"items": [
        {"name": "甲"}, {"name": "乙", "grade": "Z"}, {"nam": "丙"}, {"name": "丁"}]})
    assert response.status_code == 422
    assert response.json == {"errors": {
        "items[1].grade": ["Must be one of: A, B, C, D."],
        "items[2].nam": ["Unknown field (did you mean 'name'?)."],
        "items[2].name": ["Missing data for required field."],
    }}
    assert _count(crm, "customer") == 0


def test_bulk_rule_and_reference_errors_roll_everything_back_without_using_numbers(crm) -> None:
    rule = crm.post("/api/customer/bulk", json={"items": [
        {"name": "甲"}, {"name": "乙", "lifecycle": "customer"}]})
    assert rule.status_code == 422
    assert rule.json == {"errors": {"items[1].phone": ["A signed customer needs a phone number"]}}
    reference = crm.post("/api/customer/bulk", json={"items": [
        {"name": "甲", "tags": [404]}, {"name": "乙"}]})
    assert reference.json == {"errors": {"items[0].tags": ["No Tag with id 404."]}}
    assert _count(crm, "customer") == 0
    # the autonumbers taken by the failed attempts were rolled back: no gap
    assert _customer(crm)["code"] == "CUS-000001"


def test_bulk_with_a_unique_clash_inserts_nothing(crm) -> None:
    response = crm.post("/api/tag/bulk", json={"items": [{"name": "A"}, {"name": "A"}]})
    assert response.status_code == 409
    assert "name" in response.json["errors"]
    assert _count(crm, "tag") == 0


def test_bulk_of_one_still_names_the_item(crm) -> None:
    response = crm.post("/api/customer/bulk", json={"items": [
        {"name": "乙", "lifecycle": "customer"}]})
    assert response.json == {
        "errors": {"items[0].phone": ["A signed customer needs a phone number"]}}


def test_bulk_needs_a_list_of_at_most_1000_items(crm) -> None:
    for body in ({}, {"items": []}, {"items": {"name": "x"}}, {"rows": [{}]}):
        response = crm.post("/api/customer/bulk", json=body)
        assert response.status_code == 422, body
        assert "items" in response.json["errors"]
    response = crm.post("/api/customer/bulk", json={"items": [{"name": "x"}] * 1001})
    assert response.status_code == 422
    assert response.json == {"errors": {"items": ["At most 1000 records per request."]}}


def test_an_oversized_body_is_refused_before_it_is_read(crm) -> None:
    limit = crm.application.config["MAX_CONTENT_LENGTH"]
    response = crm.post("/api/customer", data=b"{" + b" " * limit + b"}",
                        content_type="application/json")
    assert response.status_code == 413
    assert list(response.json["errors"]) == ["_request"]
    assert crm.get("/api/customer").json["items"] == []
