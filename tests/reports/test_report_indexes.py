"""The shipped CRM declares the indexes its reports need: a report whose default
period is shorter than all time reads that period's slice of an index (its field
first, or after a field the report filters on), not the whole table."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacrm.catalog_loader import load_catalog
from metacrm.compile.tables import entity_indexes

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog([ROOT])
PERIODIC = sorted(name for name, report in CATALOG.reports.items()
                  if any(p.default not in (None, "all") for p in report.parameters))


def test_most_shipped_reports_have_a_default_period() -> None:
    assert len(PERIODIC) >= 10


@pytest.mark.parametrize("name", PERIODIC)
def test_a_reports_period_is_read_along_an_index(name: str) -> None:
    report = CATALOG.reports[name]
    (period,) = [p.field for p in report.parameters if p.default not in (None, "all")]
    filtered = {key.partition("__")[0] for key, _ in report.filters}
    indexes = [ix.columns for ix in entity_indexes(CATALOG.entities[report.entity])]
    assert any(columns[0] == period or (columns[0] in filtered and columns[1:2] == (period,))
               for columns in indexes), (report.entity, period, indexes)
