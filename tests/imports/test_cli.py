"""``metacrm import ENTITY FILE``: the mapping, a progress bar, the summary and the
failed rows; ``metacrm imports failed|revert|resume``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from metacrm.cli import main

from .conftest import records, write_csv


def test_import_from_the_command_line(crm, make_settings, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", ":".join(settings.bundles))
    monkeypatch.setenv("METACRM_INSTANCE_PATH", settings.instance_path)
    path = write_csv(tmp_path / "客户.csv", [["公司名称", "员工人数"], ["甲", "1"], ["乙", "x"]],
                     encoding="gbk")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("defaults: {grade: a}\n")
    runner = CliRunner()

    dry = runner.invoke(main, ["import", "customer", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "(dry run: nothing written): 1 created" in dry.output
    assert records(crm) == []

    result = runner.invoke(main, ["import", "customer", str(path), "--mapping", str(mapping)])

    assert result.exit_code == 0, result.output
    assert "客户.csv (gb18030): columns -> fields" in result.output
    assert "公司名称 -> name" in result.output
    assert "1 created, 0 updated, 0 skipped, 1 failed" in result.output
    assert "row 3: employees: 'x'" in result.output
    assert [(r["name"], r["grade"]) for r in records(crm)] == [("甲", "a")]

    out = tmp_path / "failed.csv"
    import_id = result.output.split("import #")[-1].split()[0]
    assert runner.invoke(main, ["imports", "failed", import_id, "-o", str(out)]).exit_code == 0
    second = out.read_text("utf-8-sig").splitlines()[1]
    assert second.startswith('乙,x,"employees: \'x\' is not a whole number')
    reverted = runner.invoke(main, ["imports", "revert", import_id])
    assert "reverted 1 record(s); left 0" in reverted.output, reverted.output
    assert records(crm) == []

    refused = runner.invoke(main, ["import", "customer", str(path), "--as", "nobody"])
    assert refused.exit_code != 0 and "no active user 'nobody'" in refused.output
