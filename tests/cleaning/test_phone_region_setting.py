"""The phone step's default region is a bundle setting (``settings: {phone_region: ..}``
in bundle.yaml): numbers without a country code are read in it; a later bundle (a
template on top of crm) sets its own; a step's own option wins; ``check`` refuses an
unknown region and a bare ``phone`` step no bundle gives a region."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from metacrm.cli import main

from ..conftest import write_bundle

FIRM = """
    entity: firm
    fields:
      name: {type: string}
      phone: {type: phone, clean: [nfkc, phone]}
      us_phone: {type: phone, clean: [{phone: US}]}
    """


def _manifest(name: str, settings: str = "", requires: str = "") -> str:
    return f"bundle: {name}\nversion: 1.0.0\n{requires}{settings}"


def test_the_bundles_region_reads_local_numbers(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(write_bundle(tmp_path / "hk", {
        "bundle.yaml": _manifest("hk", "settings: {phone_region: HK}\n"),
        "entities/firm.yaml": FIRM}))
    created = client.post("/api/firm", json={"name": "甲", "phone": "2123 4567",
                                              "us_phone": "650 253 0000"})
    assert created.status_code == 201, created.json
    assert created.json["phone"] == "+85221234567"
    assert created.json["us_phone"] == "+16502530000"  # the step's own option wins


def test_a_later_bundle_sets_its_own_region(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = write_bundle(tmp_path / "base", {
        "bundle.yaml": _manifest("base", "settings: {phone_region: CN}\n"),
        "entities/firm.yaml": FIRM})
    template = write_bundle(tmp_path / "hk", {
        "bundle.yaml": _manifest("hk_template", "settings: {phone_region: hk}\n",
                                 "requires: [base]\n")})
    client = make_client(base, template)
    assert client.post("/api/firm", json={"phone": "2123 4567"}).json["phone"] == \
        "+85221234567"


def test_the_shipped_crm_reads_chinese_numbers(crm) -> None:  # type: ignore[no-untyped-def]
    created = crm.post("/api/customer", json={"name": "星河贸易有限公司",
                                              "phone": "010-12345678"})
    assert created.status_code == 201, created.json
    assert created.json["phone"] == "+861012345678"


def _errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]
            ) -> list[str]:
    monkeypatch.chdir(write_bundle(tmp_path / "bad", files))
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 1, result.output
    return [line for line in result.output.splitlines() if ": " in line]


def test_check_refuses_an_unknown_region(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    errors = _errors(tmp_path, monkeypatch, {
        "bundle.yaml": _manifest("bad", "settings: {phone_region: XX}\n"),
        "entities/firm.yaml": FIRM})
    assert errors == ["bundle.yaml:3:26: settings: phone_region: unknown region 'XX' (a "
                      "two-letter country code such as CN, HK, US)"]


def test_check_refuses_a_phone_step_without_a_region(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    errors = _errors(tmp_path, monkeypatch, {"bundle.yaml": _manifest("bad"),
                                "entities/firm.yaml": FIRM})
    assert len(errors) == 1
    assert errors[0].startswith("entities/firm.yaml:")
    assert errors[0].endswith(
        "entity 'firm': field 'phone': clean step 'phone' needs a region: write it "
        "({phone: CN}) or set it for every field in bundle.yaml (settings: "
        "{phone_region: CN})")


def test_check_refuses_an_unknown_setting(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    errors = _errors(tmp_path, monkeypatch, {
        "bundle.yaml": _manifest("bad", "settings: {phone_regoin: CN}\n"),
        "entities/firm.yaml": FIRM.replace("[nfkc, phone]", "[nfkc, {phone: CN}]")})
    assert len(errors) == 1 and "phone_regoin" in errors[0]
