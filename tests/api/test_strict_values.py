"""A body's values are read exactly as the OpenAPI document describes them, no more
leniently: money from the digits the client wrote (never through a binary float),
numbers as text in one form, whole numbers, RFC 3339 dates and date-times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import write_bundle

BUNDLE = {"entities/item.yaml": """
    entity: item
    fields:
      name: {type: string}
      price: {type: money}
      rate: {type: decimal, scale: 4}
      share: {type: percent}
      qty: {type: integer}
      parent: {type: reference, to: item}
      owner: {type: user}
      related: {type: multi_reference, to: item}
      due: {type: date}
      seen_at: {type: datetime}
      extra: {type: json}
    """}


@pytest.fixture
def shop(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_client(write_bundle(tmp_path / "shop", BUNDLE))


def _create(shop: Any, raw: str) -> Any:
    """POST a body written by hand: the JSON text is what is being tested."""
    return shop.post("/api/item", data=raw, content_type="application/json")


@pytest.mark.parametrize(("written", "stored"), [
    ("1000000000000000.01", "1000000000000000.01"),  # 1000000000000000.0 as a float
    ("123456789012345.67", "123456789012345.67"),  # ...5.67 would come back ...5.66
    ("9999999999999999.99", "9999999999999999.99"),  # 1e16 as a float: over the limit
    ("-0.10", "-0.10"),
    ("1.500", "1.50"),  # the same amount: JSON Schema's multipleOf 0.01 says so too
    ("1e3", "1000.00"),  # a JSON number may have an exponent; text may not
    ("7", "7.00"),
])
def test_money_as_a_json_number_is_read_from_its_digits(shop, written: str, stored: str) -> None:  # type: ignore[no-untyped-def]
    created = _create(shop, f'{{"price": {written}}}')
    assert created.status_code == 201, created.json
    assert created.json["price"] == stored
    assert shop.get(f"/api/item/{created.json['id']}").json["price"] == stored


def test_money_past_its_digits_or_scale_is_refused(shop) -> None:  # type: ignore[no-untyped-def]
    for written, text in [
        ("10000000000000000.00", "Must be less than or equal to 9999999999999999.99."),
        ('"10000000000000000"', "Must be less than or equal to 9999999999999999.99."),
        ("1.505", "Not a valid amount. (≤ 2 decimals)"),
        ("1000000000000000.001", "Not a valid amount. (≤ 2 decimals)"),
    ]:
        refused = _create(shop, f'{{"price": {written}}}')
        assert refused.status_code == 422, written
        assert refused.json == {"errors": {"price": [text]}}, written


@pytest.mark.parametrize("text", ["1e3", "1E3", "1_000", " 5 ", "5 ", "5.", ".5", "+5",
                                  "٥", "0x10", "NaN", "Infinity", "", "1,5"])
def test_a_number_as_text_has_one_form(shop, text: str) -> None:  # type: ignore[no-untyped-def]
    for field in ("price", "rate", "share"):
        refused = shop.post("/api/item", json={field: text})
        assert refused.status_code == 422, (field, text, refused.json)
        assert list(refused.json["errors"]) == [field]


def test_numbers_as_text_that_are_accepted(shop) -> None:  # type: ignore[no-untyped-def]
    created = shop.post("/api/item", json={"price": "-12.5", "rate": "0003.1416",
                                           "share": "99.99"})
    assert created.status_code == 201, created.json
    assert [created.json[k] for k in ("price", "rate", "share")] == ["-12.50", "3.1416",
                                                                      "99.99"]


def test_whole_numbers_take_an_integral_json_number(shop) -> None:  # type: ignore[no-untyped-def]
    parent = shop.post("/api/item", json={"name": "p"}).json["id"]
    created = _create(shop, f'{{"qty": 5.0, "parent": {parent}.0, "related": [{parent}.0], '
                      '"extra": {"x": 1.5, "y": [2.25]}}')
    assert created.status_code == 201, created.json
    assert (created.json["qty"], created.json["parent"]) == (5, parent)
    assert created.json["related"] == [parent]
    assert created.json["extra"] == {"x": 1.5, "y": [2.25]}  # json keeps its numbers
    assert _create(shop, '{"qty": 1e3}').json["qty"] == 1000


@pytest.mark.parametrize("raw", ['{"qty": 5.5}', '{"qty": "5"}', '{"qty": true}',
                                 '{"qty": 1e30}', '{"qty": 9223372036854775808}',
                                 '{"qty": 123456789012345678901234567890}',
                                 '{"qty": 1e999999}', '{"parent": 1.5}', '{"owner": "1"}',
                                 '{"related": [1.5]}', '{"parent": 0.0}'])
def test_whole_numbers_refuse_the_rest(shop, raw: str) -> None:  # type: ignore[no-untyped-def]
    refused = _create(shop, raw)
    assert refused.status_code in (400, 422), (raw, refused.json)
    if raw != '{"qty": 1e999999}':  # not even JSON a double can hold: 400
        assert refused.status_code == 422, (raw, refused.json)


@pytest.mark.parametrize(("field", "text"), [
    ("due", "20200105"), ("due", "2020-1-5"), ("due", "2020-01-05T00:00:00Z"),
    ("due", " 2020-01-05"), ("due", "2020-W01-1"),
    ("seen_at", "2020-01-05T08:00:00"),  # no offset: which moment is it?
    ("seen_at", "2020-01-05T08:00Z"), ("seen_at", "2020-01-05 08:00:00Z"),
    ("seen_at", "20200105T080000Z"), ("seen_at", "2020-01-05"),
    ("seen_at", "2020-01-05T08:00:00+0800"),
])
def test_dates_and_date_times_are_rfc_3339(shop, field: str, text: str) -> None:  # type: ignore[no-untyped-def]
    refused = shop.post("/api/item", json={field: text})
    assert refused.status_code == 422, (field, text, refused.json)
    assert list(refused.json["errors"]) == [field]


def test_rfc_3339_dates_and_date_times_are_accepted(shop) -> None:  # type: ignore[no-untyped-def]
    created = shop.post("/api/item", json={"due": "2020-01-05",
                                           "seen_at": "2020-01-05t16:00:00.5+08:00"})
    assert created.status_code == 201, created.json
    assert created.json["due"] == "2020-01-05"
    assert created.json["seen_at"] == "2020-01-05T08:00:00.500000+00:00"
    assert shop.post("/api/item", json={"seen_at": "2020-01-05T08:00:00z"}).status_code == 201


def test_if_match_is_the_etag_and_nothing_like_it(shop) -> None:  # type: ignore[no-untyped-def]
    record = shop.post("/api/item", json={"name": "a"})
    url, etag = f"/api/item/{record.json['id']}", record.headers["ETag"]
    assert etag == '"1"'
    for sent in ('"+1"', '"1_0"', '" 1"', "1.0"):
        refused = shop.patch(url, json={"name": "b"}, headers={"If-Match": sent})
        assert refused.status_code == 400, sent
        assert list(refused.json["errors"]) == ["If-Match"]
    assert shop.patch(url, json={"name": "b"}, headers={"If-Match": etag}).status_code == 200
    assert shop.patch(url, json={"name": "c"}, headers={"If-Match": etag}).status_code == 412
    assert shop.patch(url, json={"name": "c"}, headers={"If-Match": 'W/"2"'}).status_code == 200


def test_every_endpoint_reads_ids_as_the_document_s_integers(shop, admin_id) -> None:  # type: ignore[no-untyped-def]
    me = admin_id()
    team = shop.post("/api/teams", data=f'{{"code": "t1", "name": "T", "members": [{me}.0]}}',
                     content_type="application/json")
    assert team.status_code == 201, team.json
    assert team.json["members"] == [me]
    for members in ('["1"]', "[true]", "[1.5]"):
        refused = shop.post("/api/teams", data=f'{{"code": "t2", "name": "T", "members": '
                            f'{members}}}', content_type="application/json")
        assert refused.status_code == 422, members
    # a delegate is a JSON integer or its digits as text (what a page's select sends)
    for delegate in (f'"+{me}"', f'" {me}"', "true", "1.5", '"1e3"'):
        refused = shop.post("/api/approvals/delegations", data=f'{{"delegate": {delegate}, '
                            '"ends_at": "2099-01-01T00:00:00Z"}', content_type="application/json")
        assert refused.status_code == 422 and "delegate" in refused.json["errors"], delegate
    assert shop.get(f"/api/approvals/delegations?user={me}").status_code == 200
    marked = shop.post("/api/notifications/read", data='{"up_to": 5.0}',
                       content_type="application/json")
    assert marked.status_code == 200, marked.json
    assert shop.post("/api/notifications/read", json={"up_to": "5"}).status_code == 422
