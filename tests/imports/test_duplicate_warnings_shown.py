"""A row written despite a warning duplicate rule is not lost in the log: the command
line's summary and the import's page list it, with the record it looks like."""

from __future__ import annotations

from pathlib import Path

from metacrm.imports.commands import _summary

from .conftest import Importer, write_csv


def _import_twins(make_client, tmp_path: Path):  # type: ignore[no-untyped-def]
    crm = make_client()  # the shipped CRM: same phone and similar names warn
    importer = Importer(crm, None)
    job = importer.run(write_csv(tmp_path / "c.csv", [
        ["公司名称", "电话"], ["北京华为技术有限公司", "13800138000"],
        ["华为技术（北京）有限公司", "138-0013-8000"]], encoding="gbk"))
    assert job["counts"]["created"] == 2
    return crm, importer, job


def test_the_summary_names_the_rows_that_look_like_another(make_client, tmp_path: Path,
                                                            capsys) -> None:  # type: ignore[no-untyped-def]
    _, importer, job = _import_twins(make_client, tmp_path)
    _summary(importer.platform, job)
    out = capsys.readouterr().out.splitlines()
    first, second = (r["record_id"] for r in importer.log(job["id"]))
    assert out[1] == "possible duplicates (written; check them):"
    assert out[2].startswith(f"  row 3 (#{second}): like #{first} 北京华为技术有限公司 (")


def test_the_import_page_lists_them_with_links(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crm, importer, job = _import_twins(make_client, tmp_path)
    first, second = (r["record_id"] for r in importer.log(job["id"]))
    html = crm.get(f"/customer/imports/{job['id']}").get_data(as_text=True)
    table = html[html.index('class="import-warned"'):]
    assert "Possible duplicates" in table
    assert f'href="/customer/{second}?duplicates=1">#{second}</a>' in table
    assert f'href="/customer/{first}">北京华为技术有限公司</a>' in table
