"""A field's keys are its type's: a key the type does not take is a check error at its
line, and the bounds a type takes are enforced on every write."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.errors import DefinitionError

from ..conftest import write_bundle

EVENTS = {"entities/event.yaml": """
    entity: event
    fields:
      name: {type: string}
      starts_at: {type: datetime, min: 2020-01-01T00:00:00Z, max: "2030-12-31T23:59:59+08:00"}
      day: {type: date, min: 2020-01-01}
    """}


def test_a_key_the_type_does_not_take_is_refused_where_it_is_written(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/flag.yaml": """
        entity: flag
        fields:
          done: {type: boolean, min: 0}
          note: {type: text, scale: 2}
        """})
    with pytest.raises(DefinitionError) as caught:
        load_catalog([bundle])
    assert [line.split("/b/", 1)[-1] for line in str(caught.value).splitlines()] == [
        ("entities/flag.yaml:3:25: 'min' does not apply to a boolean field (only to: integer, "
         "decimal, money, percent, date, datetime)"),
        ("entities/flag.yaml:4:22: 'scale' does not apply to a text field (only to: decimal, "
         "formula)"),
    ]


def test_datetime_and_date_bounds_are_enforced_on_write(make_client, tmp_path: Path) -> None:
    client = make_client(write_bundle(tmp_path / "events", EVENTS, name="events"))
    early = client.post("/api/event", json={"name": "a", "starts_at": "2019-12-31T23:59:59Z"})
    assert early.status_code == 422
    assert early.json["errors"] == {"starts_at": [
        "Must be greater than or equal to 2020-01-01T00:00:00+00:00."]}
    late = client.post("/api/event", json={"starts_at": "2030-12-31T16:00:00Z"})
    assert late.status_code == 422 and list(late.json["errors"]) == ["starts_at"]
    day = client.post("/api/event", json={"day": "2019-06-01"})
    assert day.status_code == 422 and list(day.json["errors"]) == ["day"]
    inside = client.post("/api/event", json={"starts_at": "2030-12-31T15:59:59Z",
                                             "day": "2020-01-01"})
    assert inside.status_code == 201, inside.json
