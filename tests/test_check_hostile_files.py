"""`metacrm check` on files that cost far more than they look, or that are not files
at all, prints a located error for each and exits 1; never a traceback, never a
hang, and the other files' errors are still reported.

The hostile YAML itself (alias bombs, deep nesting, huge numbers, bytes that are
not UTF-8) is in the golden files tests/defs/bad/hostile_*.yaml; here are the
cases a golden file cannot hold: a file over the size limit, links that lead
nowhere, a FIFO, and all of them at once through the command.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from metacrm.cli import main
from metacrm.load.documents import MAX_FILE_BYTES

from .conftest import write_bundle

BAD = Path(__file__).parent / "defs" / "bad"
TYPO = "entity: typo\nfields:\n  x: {type: strng}\n"
TYPO_ERROR = "entities/typo.yaml:3:13: fields.x.type: unknown field type 'strng'"


def check(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The diagnostics `metacrm check .` prints in ``bundle`` (without the count of
    errors); it must exit 1 with no traceback."""
    monkeypatch.chdir(bundle)
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)
    assert result.exit_code == 1, result.output
    *diagnostics, count = result.output.splitlines()
    assert count == f"{len(diagnostics)} error(s)"
    return diagnostics


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    padding = "# " + "x" * 98 + "\n"
    big = "entity: big\nfields:\n  name: {type: string}\n" + padding * (MAX_FILE_BYTES // 100)
    bundle = write_bundle(tmp_path / "b", {"entities/big.yaml": big,
                                           "entities/typo.yaml": TYPO})
    output = check(bundle, monkeypatch)
    assert output[0] == ("entities/big.yaml:1:1: the file is larger than 1 MiB, the limit "
                         "for one definition file: split it into several files")
    assert output[1].startswith(TYPO_ERROR)


def test_links_that_lead_nowhere_are_errors_not_skipped(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {"entities/typo.yaml": TYPO})
    entities = bundle / "entities"
    os.symlink("loop_b.yaml", entities / "loop_a.yaml")
    os.symlink("loop_a.yaml", entities / "loop_b.yaml")
    os.symlink(tmp_path / "missing.yaml", entities / "gone.yaml")
    output = check(bundle, monkeypatch)
    assert output[:3] == [
        "entities/gone.yaml:1:1: cannot read file: No such file or directory",
        "entities/loop_a.yaml:1:1: cannot read file: Too many levels of symbolic links",
        "entities/loop_b.yaml:1:1: cannot read file: Too many levels of symbolic links",
    ]
    assert output[3].startswith(TYPO_ERROR)


def test_a_fifo_is_refused_and_a_folder_named_like_a_file_is_walked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = write_bundle(tmp_path / "b", {
        "entities/extra.yaml/inner.yaml": "entity: inner\nfields:\n  x: {type: string}\n",
        "entities/typo.yaml": TYPO})
    os.mkfifo(bundle / "entities" / "pipe.yaml")  # reading it would wait for a writer
    output = check(bundle, monkeypatch)
    assert output[0] == "entities/pipe.yaml:1:1: not a regular file: a definition must be a file"
    assert output[1].startswith(TYPO_ERROR)
    assert len(output) == 2  # the entity in the folder extra.yaml/ was read, and is fine


def test_check_on_every_hostile_file_reports_each_where_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = sorted(p.stem for p in BAD.glob("hostile_*.yaml"))
    assert len(cases) >= 8
    bundle = write_bundle(tmp_path / "b", {"entities/typo.yaml": TYPO})
    for case in cases:
        shutil.copy(BAD / f"{case}.yaml", bundle / "entities" / f"{case}.yaml")
    expected = [line for case in cases
                for line in (BAD / f"{case}.expected.txt").read_text(encoding="utf-8").splitlines()]
    output = check(bundle, monkeypatch)
    assert output[:-1] == expected
    assert output[-1].startswith(TYPO_ERROR)
