"""Start an import as a job: check it, record it, and run it where jobs run: on
the RQ queue when Redis is configured (``metacrm worker`` runs it), otherwise in
a thread of the process that started it. ``run_import_job`` is the RQ entry point
(``metacrm.imports.jobs.run_import_job``); like every metacrm job, the worker
rebuilds the platform from its environment."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base.context import Context
from ..base.problems import Invalid, NotFound
from ..config import Settings
from ..errors import did_you_mean
from ..platform import Platform
from .mapping import BadMapping, ColumnMapping, check_mapping, combine, suggest
from .reading import UnreadableFile, open_sheet
from .run import check_allowed, run_import
from .store import MODES, ImportOptions, create_import, previous_mapping

log = logging.getLogger(__name__)
JOB_PATH = "metacrm.imports.jobs.run_import_job"
JOB_TIMEOUT = 6 * 3600


@dataclass(frozen=True)
class Prepared:
    import_id: int
    header: tuple[str, ...]
    mapping: ColumnMapping
    encoding: str | None


def prepare_import(platform: Platform, ctx: Context, entity: str, path: str | Path,
                   filename: str, options: ImportOptions,
                   given: ColumnMapping | None = None) -> Prepared:
    """Check who may import what and how (Forbidden, Invalid say what is wrong), read
    the file's header, settle the mapping (suggested, then ``given``) and record the
    import, queued."""
    compiled = platform.compiled
    model = compiled.model(entity)
    if model is None:
        raise NotFound(f"unknown entity '{entity}'{did_you_mean(entity, compiled.models)}",
                       key="entity")
    check_allowed(compiled, model, ctx, options)
    errors: dict[str, list[str]] = {}
    if options.mode not in MODES:
        errors["mode"] = [f"'{options.mode}' is not one of {', '.join(MODES)}"]
    unknown = [n for n in options.match if n not in model.entity.fields]
    if unknown:
        errors["match"] = [f"unknown field(s) of {entity}: {', '.join(unknown)}"]
    try:
        sheet = open_sheet(path, filename)
    except (UnreadableFile, OSError) as exc:
        raise Invalid({"file": [str(exc)]}) from None
    with platform.reading() as conn:
        previous = previous_mapping(conn, compiled.tables, entity, ctx.user_id)
    mapping = combine(suggest(model, sheet.header, previous), given)
    try:
        check_mapping(model, sheet.header, mapping)
    except BadMapping as exc:
        errors["mapping"] = [str(exc)]
    if errors:
        raise Invalid(errors)
    with platform.writing() as conn:
        import_id = create_import(
            conn, compiled.tables, entity=entity, user_id=ctx.user_id, filename=filename,
            path=str(Path(path).resolve()), options=options, mapping=mapping,
            header=sheet.header, now=ctx.now)
    return Prepared(import_id, sheet.header, mapping, sheet.encoding)


def dispatch_import(platform: Platform, import_id: int) -> str:
    """Run the import in the background; says where ("queue" or "thread")."""
    redis_url = platform.settings.redis_url
    if redis_url:
        from redis import Redis
        from rq import Queue

        from ..jobs.scheduler import QUEUE

        Queue(QUEUE, connection=Redis.from_url(redis_url)).enqueue_call(
            JOB_PATH, args=(import_id,), timeout=JOB_TIMEOUT,
            description=f"metacrm import #{import_id}")
        return "queue"
    thread = threading.Thread(target=_run_quietly, args=(platform, import_id),
                              name=f"metacrm-import-{import_id}", daemon=True)
    thread.start()
    return "thread"


def _run_quietly(platform: Platform, import_id: int) -> None:
    try:
        run_import(platform, import_id)
    except Exception:  # the import's row says why; the thread has nobody to tell
        log.exception("metacrm import #%s failed", import_id)


def run_import_job(import_id: int) -> dict[str, Any]:
    """The RQ job: run (or resume) import ``import_id``; its counts."""
    platform = Platform.build(Settings.from_env())
    try:
        return dict(run_import(platform, import_id)["counts"])
    finally:
        platform.engine.dispose()
