"""The import wizard of an entity (/<entity>/import): upload a file, map its columns
(suggestions preselected) and set defaults, then a dry run or the import itself,
followed on a page that polls its progress and shows the results, the failed rows
to download and a revert button. The same engine calls as the API's imports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import FileStorage

from ..base.problems import Invalid
from ..imports.jobs import dispatch_import, prepare_import
from ..imports.mapping import ColumnMapping, importable, suggest
from ..imports.reading import UnreadableFile, open_sheet
from ..imports.revert import describe
from ..imports.store import (
    MODES,
    ImportOptions,
    log_rows,
    possible_duplicates,
    previous_mapping,
    read_import,
    warned_rows,
)
from ..web.imports_api import save_upload
from ..web.requests import platform
from .blueprint import pages
from .entity_page import EntityPage, open_entity_page

SHOWN_FAILED = 100
# What save_upload names a kept file: a random hex name and the upload's suffix.
_STORED = re.compile(r"[0-9a-f]{32}(\.[a-z]{3,4})?")


@pages.get("/<entity>/import")
def import_page(entity: str) -> Any:
    with open_entity_page(entity, "import") as page:
        pass
    return render_template("ui/import.html", shell=page.shell, entity=page.model.entity,
                           language=page.language, step="upload", errors=[], modes=MODES)


@pages.post("/<entity>/import")
def import_upload(entity: str) -> Any:
    """Step 2: the file kept aside, its columns with their suggested fields."""
    with open_entity_page(entity, "import") as page:
        upload = request.files.get("file")
        if not isinstance(upload, FileStorage) or not upload.filename:
            return _upload_again(page, [gettext("Choose a CSV or XLSX file.")])
        path, name = save_upload(platform(), upload)
        try:
            sheet = open_sheet(path, name)
        except (UnreadableFile, OSError) as exc:
            path.unlink(missing_ok=True)
            return _upload_again(page, [str(exc)])
        previous = previous_mapping(page.conn, page.compiled.tables, entity, page.ctx.user_id)
        mapping = suggest(page.model, sheet.header, previous)
        samples = [cells for _, cells in _first(sheet.rows(), 3)]
    return _mapping_step(page, f"{path.name}:{name}", sheet.header, mapping, samples,
                         request.form.get("mode", "create"), request.form.get("match", ""))


@pages.post("/<entity>/import/start")
def import_start(entity: str) -> Any:
    """Step 3: the mapping as chosen, checked and started (a dry run or the import)."""
    with open_entity_page(entity, "import") as page:
        pass
    form = request.form
    path, name = _kept_file(form.get("file", ""))
    header = form.getlist("column")
    columns = {c: (form.get(f"field-{i}") or None) for i, c in enumerate(header)}
    defaults = {n: form[f"default-{n}"] for n in importable(page.model)
                if form.get(f"default-{n}", "").strip()}
    mode = form.get("mode", "create")
    match = tuple(m.strip() for m in form.get("match", "").split(",") if m.strip())
    options = ImportOptions(mode if mode in MODES else "create", match,
                            form.get("dry_run") == "true", page.ctx.locale)
    try:
        prepared = prepare_import(platform(), page.ctx, entity, path, name, options,
                                  ColumnMapping(columns, defaults))
    except Invalid as problem:
        messages = [m for ms in problem.errors.values() for m in ms]
        sheet = open_sheet(path, name)
        return _mapping_step(page, form.get("file", ""), sheet.header,
                             ColumnMapping(columns, defaults),
                             [cells for _, cells in _first(sheet.rows(), 3)], mode,
                             form.get("match", ""), messages, status=422)
    dispatch_import(platform(), prepared.import_id)
    return redirect(url_for(".import_status", entity=entity, import_id=prepared.import_id), 303)


@pages.get("/<entity>/imports/<int:import_id>")
def import_status(entity: str, import_id: int) -> Any:
    with open_entity_page(entity) as page:
        job, failed = _job(page, import_id)
        warned = [{**row, "candidates": possible_duplicates(row)} for row in warned_rows(
            page.conn, page.compiled.tables, import_id, limit=SHOWN_FAILED)]
    template = "ui/_import_progress.html" if request.headers.get("HX-Request") \
        else "ui/import_status.html"
    return render_template(template, shell=page.shell, entity=page.model.entity,
                           language=page.language, job=job, failed=failed, warned=warned,
                           file_token=f"{Path(job['path']).name}:{job['filename']}")


def _job(page: EntityPage, import_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    job = read_import(page.conn, page.compiled.tables, import_id, page.model.name)
    principal = page.ctx.principal
    if job is None or not (principal.admin or job["user_id"] == principal.user_id):
        abort(404)
    failed = [{**row, "text": describe(row["errors"] or {})} for row in log_rows(
        page.conn, page.compiled.tables, import_id, action="failed", limit=SHOWN_FAILED)]
    return job, failed


def _mapping_step(page: EntityPage, token: str, header: tuple[str, ...] | list[str],
                  mapping: ColumnMapping, samples: list[list[Any]], mode: str, match: str,
                  errors: list[str] | None = None, status: int = 200) -> Any:
    language = page.language
    fields = [(n, page.model.entity.fields[n].label.get(language))
              for n in importable(page.model)]
    rows = [{"index": i, "column": column, "chosen": mapping.columns.get(column),
             "samples": [str(s[i]) if i < len(s) and s[i] is not None else "" for s in samples]}
            for i, column in enumerate(header)]
    return render_template("ui/import.html", shell=page.shell, entity=page.model.entity,
                           language=language, step="map", errors=errors or [], modes=MODES,
                           token=token, rows=rows, fields=fields, defaults=mapping.defaults,
                           mode=mode, match=match), status


def _upload_again(page: EntityPage, errors: list[str]) -> Any:
    return render_template("ui/import.html", shell=page.shell, entity=page.model.entity,
                           language=page.language, step="upload", errors=errors,
                           modes=MODES), 422


def _kept_file(token: str) -> tuple[Path, str]:
    """The kept upload a form names (``<stored name>:<original name>``): only a file of
    the imports folder, never a path the form makes up."""
    stored, _, name = token.partition(":")
    if not _STORED.fullmatch(stored):
        abort(400)
    path = Path(platform().settings.instance_path) / "imports" / stored
    if not path.is_file():
        abort(410)
    return path, name or stored


def _first(rows: Any, count: int) -> list[Any]:
    found = []
    for row in rows:
        found.append(row)
        if len(found) >= count:
            break
    return found




