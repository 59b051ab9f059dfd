"""`metacrm check` refuses clean steps and duplicate rules that cannot work, each at
its file and line: an unknown step (with a hint), a step on a type it does not fit, a
bad option, a missing optional package; a rule on a missing or unfit field."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from metacrm.cli import main

from ..conftest import write_bundle

ENTITY = """\
entity: firm
fields:
  name: {type: string, clean: [trim, compnay_name]}
  phone: {type: phone, clean: [{phone: XX}]}
  email: {type: email, clean: [company_name]}
  note: {type: string, clean: [{trim: x}]}
  amount: {type: integer, clean: [trim]}
  tags: {type: multi_reference, to: firm}
duplicates:
  - {name: same_mail, fields: [emial], action: block}
  - {name: both, fields: [email], fuzzy: name}
  - {name: tagged, fuzzy: tags}
  - {name: wrong_action, fields: [email], action: stop}
"""


def _check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> list[str]:
    bundle = write_bundle(tmp_path / "b", {"entities/firm.yaml": text})
    monkeypatch.chdir(bundle)
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 1, result.output
    return result.output.splitlines()


def test_check_reports_each_bad_step_and_rule_where_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _check(tmp_path, monkeypatch, ENTITY)
    joined = "\n".join(lines)
    assert "entities/firm.yaml:13:" in joined and "'stop'" in joined  # the schema's
    fixed = ENTITY.replace("action: stop", "action: block")
    lines = _check(tmp_path, monkeypatch, fixed)
    assert lines[:8] == [
        "entities/firm.yaml:3:38: unknown clean step 'compnay_name' (did you mean "
        "'company_name'?); the steps are: trim, nfkc, simplified, phone, email_lower, "
        "company_name, uscc",
        "entities/firm.yaml:4:32: clean step 'phone': unknown region 'XX' (a two-letter "
        "country code such as CN, HK, US)",
        "entities/firm.yaml:5:32: clean step 'company_name' does not fit an email field "
        "(only: string)",
        "entities/firm.yaml:6:32: clean step 'trim' takes no option; write it as 'trim'",
        "entities/firm.yaml:7:27: 'clean' does not apply to an integer field (only to: "
        "string, text, email, phone, url)",
        "entities/firm.yaml:10:31: duplicate rule 'same_mail': no field 'emial' (did you "
        "mean 'email'?)",
        "entities/firm.yaml:11:5: duplicate rule 'both': give either 'fields' (the same "
        "values) or 'fuzzy' (a similar name), not both or neither",
        "entities/firm.yaml:12:27: duplicate rule 'tagged': a multi_reference field "
        "('tags') cannot be compared (only email, phone, string, text, url fields)",
    ]


def test_a_step_whose_package_is_missing_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "opencc" else real(name, *a))
    lines = _check(tmp_path, monkeypatch,
                   "entity: firm\nfields:\n  name: {type: string, clean: [simplified]}\n")
    assert lines[0] == ("entities/firm.yaml:3:32: clean step 'simplified' needs the Python "
                        "package 'opencc', which is not installed "
                        "(pip install 'metacrm[chinese]')")
