"""Find the periodic tasks that are due, take their slots, and hand them over: run
inline (no Redis: the server process does the work) or enqueue on RQ (a
``metacrm worker`` does it). ``Scheduler`` is the thread that ticks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self

from ..base.context import utcnow
from ..platform import Platform
from ..values import to_utc
from .slots import ensure_slots, read_slots, slots_table, take_slot
from .tasks import Task, compile_tasks, run_and_record

TICK_SECONDS = 30.0
QUEUE = "metacrm"
JOB_PATH = "metacrm.jobs.tasks.run_task"
JOB_TIMEOUT = 3600  # seconds; a first run may return a large backlog

# What to do with a task whose slot this process took: run it, or enqueue it.
Dispatch = Callable[[Task, datetime], None]

log = logging.getLogger("metacrm.jobs")


def tick(platform: Platform, now: datetime, dispatch: Dispatch) -> list[str]:
    """Take the slot of every task due at ``now`` and dispatch it; the names taken.

    Several processes may tick at once: each slot goes to exactly one of them.
    A task that fails is logged and does not stop the others."""
    now = to_utc(now)
    compiled = platform.compiled
    tasks = compile_tasks(compiled, platform.settings)
    if not tasks:
        return []
    table = slots_table(compiled.metadata)
    # Looking first keeps the common tick (nothing due) free of write locks.
    with platform.reading() as conn:
        slots = read_slots(conn, table)
    missing = [name for name in tasks if name not in slots]
    due = sorted(name for name in tasks
                 if name in missing or to_utc(slots[name]["due_at"]) <= now)
    if not due:
        return []
    with platform.writing() as conn:
        ensure_slots(conn, table, missing, now)
        # In name order, so that processes ticking together lock the slots alike.
        taken = [tasks[name] for name in due
                 if take_slot(conn, table, name, now, tasks[name].every_seconds)]
    for task in taken:
        try:
            dispatch(task, now)
        except Exception:  # one task's failure must not stop the others
            log.exception("metacrm task %s failed", task.name)
    return [task.name for task in taken]


def run_inline(platform: Platform) -> Dispatch:
    """Run each task in the ticking thread (the server process, without Redis)."""

    def dispatch(task: Task, now: datetime) -> None:
        outcome = run_and_record(platform, task, now)
        log.info("metacrm task %s: %s", task.name, outcome.summary)

    return dispatch


def enqueue_on(redis_url: str, queue: str = QUEUE) -> Dispatch:
    """Put each task on the RQ queue; a ``metacrm worker`` runs it."""
    from redis import Redis
    from rq import Queue

    jobs = Queue(queue, connection=Redis.from_url(redis_url))

    def dispatch(task: Task, now: datetime) -> None:
        # The slot's time goes with the job: a run means "the run due at now",
        # however long it waits in the queue.
        jobs.enqueue_call(JOB_PATH, args=(task.name, now.isoformat()), timeout=JOB_TIMEOUT,
                          description=f"metacrm task {task.name} at {now.isoformat()}")

    return dispatch


class Scheduler:
    """Ticks every ``interval`` seconds in a daemon thread until ``stop()``."""

    def __init__(self, platform: Platform, dispatch: Dispatch, *,
                 interval: float = TICK_SECONDS,
                 clock: Callable[[], datetime] = utcnow):
        self.platform = platform
        self.dispatch = dispatch
        self.interval = interval
        self.clock = clock
        self.ticks = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metacrm-scheduler",
                                        daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to end and wait for it (a task in progress finishes first)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                tick(self.platform, self.clock(), self.dispatch)
            except Exception:  # e.g. the database is away: try again next tick
                log.exception("metacrm scheduler: tick failed")
            self.ticks += 1
            self._stopping.wait(self.interval)


def start_in_process(platform: Platform) -> Scheduler | None:
    """The server's own scheduler: only without Redis (then a worker ticks) and
    unless METACRM_RUN_JOBS turns it off; None when not started."""
    settings = platform.settings
    if settings.redis_url or not settings.run_jobs:
        return None
    return Scheduler(platform, run_inline(platform)).start()
