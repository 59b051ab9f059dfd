"""A pull-style intake source: a drop folder of CSV files (an exhibition's badge scans, a
list exported from another system), read on each run and moved to ``done/`` once every
row has been handled.

Load it with ``METACRM_PLUGINS=plugins.csv_folder:plugin`` and name its hook in an
intake source (docs/intake.md)::

    intake: fair_scans
    entity: customer
    fields: {公司名称: name, 电话: phone, 省份: province}
    external_id: 编号
    set: {source: trade_show, lifecycle: lead}
    pull:
      hook: csv_folder.pull_leads
      every: 5m
      options: {folder: /srv/metacrm/drop/fair, encoding: utf-8-sig}

Each ``*.csv`` file of the folder (in name order) is read with its header row as the
keys; empty cells are left out (an empty cell sends nothing, as an unfilled form field
would). When the job has handled the file's last row the file moves to ``done/`` (next to
the files, made if missing), so a file is read once; a run that stops halfway leaves it
in place and the next run reads it again (the source's ``external_id`` keeps its rows
from being stored twice). The cursor is the name of the last file done.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from metacrm.intake.pull import Pulled, PullRequest

DONE = "done"


class FolderError(Exception):
    """The drop folder cannot be used as the options say."""


def pull_leads(request: PullRequest) -> Iterator[Pulled]:
    options = request.options
    if not isinstance(options.get("folder"), str):
        raise FolderError(f"intake {request.source}: options.folder must name a folder")
    folder = Path(options["folder"])
    if not folder.is_dir():
        raise FolderError(f"intake {request.source}: {folder} is not a folder")
    done = folder / str(options.get("done", DONE))
    encoding = str(options.get("encoding", "utf-8-sig"))
    delimiter = str(options.get("delimiter", ","))
    for path in sorted(p for p in folder.glob("*.csv") if p.is_file()):
        with path.open(encoding=encoding, newline="") as handle:
            # One row ahead, so that the file's last row carries the file as the cursor.
            previous: dict[str, Any] | None = None
            for number, row in enumerate(csv.DictReader(handle, delimiter=delimiter), 2):
                extra = row.pop(None, None)  # type: ignore[call-overload]
                if extra:
                    request.log.warning("intake %s: %s line %d has %d cell(s) more than its "
                                        "header; they are left out", request.source,
                                        path.name, number, len(extra))
                if previous is not None:
                    yield Pulled(previous)
                previous = {key: value for key, value in row.items()
                            if key and value not in (None, "")}
            if previous is not None:
                yield Pulled(previous, cursor=path.name)
        # The job asks for more only once it has handled the file's last row.
        done.mkdir(exist_ok=True)
        path.replace(done / path.name)
        request.log.info("intake %s: %s read and moved to %s/", request.source, path.name,
                         done.name)


class CsvFolderPlugin:
    """The plugin: one hook, for intake sources' ``pull``."""

    name = "csv_folder"
    hooks: ClassVar[dict[str, Any]] = {"pull_leads": pull_leads}


plugin = CsvFolderPlugin()
