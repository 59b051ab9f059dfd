"""Autonumbers follow their format, without gaps, whichever way they are assigned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..conftest import write_bundle

TICKETS = """
entity: ticket
fields:
  subject: {type: string, required: true}
  number: {type: autonumber, format: "T{yyyy}{mm}-{seq:02}"}
  short: {type: autonumber, format: "{seq}"}
"""


def test_formats_dates_padding_and_numbers_wider_than_the_padding(make_client,
                                                                  tmp_path: Path) -> None:
    client = make_client(write_bundle(tmp_path / "b", {"entities/ticket.yaml": TICKETS}))
    now = datetime.now(UTC)
    one_by_one = [client.post("/api/ticket", json={"subject": f"s{i}"}).json
                  for i in range(101)]
    stamp = f"T{now.year}{now.month:02d}-"
    assert [t["number"] for t in one_by_one[:3]] == [stamp + "01", stamp + "02", stamp + "03"]
    assert one_by_one[100]["number"] == stamp + "101"
    assert [t["short"] for t in one_by_one[-2:]] == ["100", "101"]
    in_bulk = client.post("/api/ticket/bulk", json={"items": [{"subject": "a"},
                                                              {"subject": "b"}]}).json
    assert [t["number"] for t in in_bulk["items"]] == [stamp + "102", stamp + "103"]


def test_a_refused_create_takes_no_number(make_client, tmp_path: Path) -> None:
    client = make_client(write_bundle(tmp_path / "b", {"entities/ticket.yaml": TICKETS}))
    assert client.post("/api/ticket", json={"subject": "first"}).json["short"] == "1"
    assert client.post("/api/ticket", json={}).status_code == 422
    bad_bulk = client.post("/api/ticket/bulk", json={"items": [{"subject": "x"}, {}]})
    assert bad_bulk.status_code == 422
    assert client.post("/api/ticket", json={"subject": "second"}).json["short"] == "2"
