"""docs/reports.md shows a whole report per presentation; each is checked as the
shipped CRM's own reports are, and runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from metacrm.catalog_loader import load_catalog
from metacrm.definitions.reports import PRESENTATIONS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = re.findall(r"```yaml\n(report: doc_.*?)```", (ROOT / "docs/reports.md").read_text(),
                      re.S)


def test_there_is_an_example_per_presentation() -> None:
    shown = [re.search(r"^presentation: (\w+)$", text, re.M).group(1)  # type: ignore[union-attr]
             for text in EXAMPLES]
    assert sorted(shown) == sorted(PRESENTATIONS)


def _bundle(tmp_path: Path) -> Path:
    """The shipped CRM with the examples in its reports/."""
    bundle = tmp_path / "crm"
    shutil.copytree(ROOT, bundle, ignore=shutil.ignore_patterns(
        "platform", "tests", "docs", "bench", "demo", "plugins", "scripts", ".*"))
    for text in EXAMPLES:
        name = re.match(r"report: (\w+)", text).group(1)  # type: ignore[union-attr]
        (bundle / "reports" / f"{name}.yaml").write_text(text)
    return bundle


def test_every_example_passes_check_and_runs(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bundle = _bundle(tmp_path)
    catalog = load_catalog([bundle])
    names = {f"doc_{p}" for p in PRESENTATIONS}
    assert names <= set(catalog.reports)
    client = make_client(bundle)
    for name in sorted(names):
        answer = client.get(f"/api/reports/{name}")
        assert answer.status_code == 200, (name, answer.get_json())
        assert answer.get_json()["series"]["kind"] == name.removeprefix("doc_")
        assert client.get(f"/reports/{name}").status_code == 200
