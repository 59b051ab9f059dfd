"""`metacrm check` checks intake sources like any definition: every mistake once, as
``file:line:col: message``, with a spelling hint where there is one."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from metacrm.cli import main

from ..conftest import write_bundle
from .conftest import LEADS, intake_bundle

BAD = """\
intake: bad_form
entity: prospect
fields:
  company: name
  tel: phon
  total: notes
  also_name: name
set: {origin: website, notes: fixed}
pull: {hook: erp.pull_leads}
---
intake: no_name
entity: prospect
fields: {tel: phone}
---
intake: typo
entity: prospekt
fields: {company: name}
rate_limt: {requests: 5}
---
intake: web_form
entity: prospect
fields: {company: name}
"""


def _check(bundle: Path) -> list[str]:
    result = CliRunner().invoke(main, ["check", str(bundle)])
    assert result.exit_code == 1, result.output
    return result.output.splitlines()


def test_every_mistake_is_reported_where_it_is(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    bundle = intake_bundle(tmp_path / "b")
    (bundle / "intake" / "bad.yaml").write_text(BAD, encoding="utf-8")
    lines = _check(bundle)
    bad, sources = "b/intake/bad.yaml", "b/intake/sources.yaml"
    expected = [
        f"{bad}:5:8: intake 'bad_form': fields: 'tel': unknown field 'prospect.phon' "
        "(did you mean 'phone'?)",
        f"{bad}:7:14: intake 'bad_form': fields: 'also_name' and 'company' both fill "
        "'prospect.name'; map one key to a field",
        f"{bad}:8:15: intake 'bad_form': set origin: 'website' is not an option of "
        "'prospect.origin' (web, fair, partner)",
        f"{bad}:8:31: intake 'bad_form': set: 'notes' is also filled from incoming key "
        "'total'; a field is either mapped or set",
        f"{bad}:9:14: intake 'bad_form': pull hook 'erp.pull_leads' is not offered by a "
        "loaded plugin (offered: none: set METACRM_PLUGINS)",
        f"{bad}:13:9: intake 'no_name': required field 'prospect.name' is neither mapped "
        "from an incoming key nor set: no lead could be stored",
        f"{bad}:18:1: unknown key 'rate_limt' (did you mean 'rate_limit'?)",
        # files are read in name order: bad.yaml's web_form came first
        f"{sources}:1:1: intake 'web_form' is already defined at {bad}:20:1",
    ]
    assert [line for line in lines if "error(s)" not in line] == expected, "\n".join(lines)


def test_an_unknown_entity_is_named_with_a_hint(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    bundle = write_bundle(tmp_path / "c", {"entities/prospect.yaml": LEADS,
                                           "intake/x.yaml": "intake: x\nentity: prospekt\n"
                                                            "fields: {company: name}\n"})
    assert _check(bundle)[0] == ("c/intake/x.yaml:2:9: intake 'x': unknown entity "
                                 "'prospekt' (did you mean 'prospect'?)")


def test_the_shipped_sources_are_fine() -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
