"""With Redis, a due task is enqueued on RQ and a worker runs it: the job is found
by its dotted path and rebuilds the platform from the environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from .conftest import pool_customer

REDIS_URL = os.environ.get("METACRM_REDIS_URL")
TASK = "customer.no_followup_30_days"

pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="needs Redis: set METACRM_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A queue of this test's own, so that no other run's jobs are picked up."""
    from redis import Redis
    from rq import Queue

    name = f"metacrm-test-{uuid.uuid4().hex[:8]}"
    yield name
    with Redis.from_url(REDIS_URL or "") as connection:
        Queue(name, connection=connection).delete(delete_jobs=True)


@pytest.fixture
def worker_environment(crm, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What a worker process would find in its environment: this test's database."""
    settings = crm.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", os.pathsep.join(settings.bundles))
    monkeypatch.setenv("METACRM_SECRET_KEY", "test")
    monkeypatch.setenv("METACRM_INSTANCE_PATH", str(tmp_path / "worker"))


def _work(queue_name: str) -> Any:
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(REDIS_URL or "")
    queue = Queue(queue_name, connection=connection)
    SimpleWorker([queue], connection=connection).work(burst=True)
    return queue


def test_the_job_path_is_importable() -> None:
    from rq.utils import import_attribute

    from metacrm.jobs.scheduler import JOB_PATH, QUEUE
    from metacrm.jobs.tasks import run_task

    assert import_attribute(JOB_PATH) is run_task
    assert QUEUE == "metacrm"


@pytest.mark.usefixtures("worker_environment")
def test_a_due_task_is_enqueued_and_a_worker_runs_it(crm, sales, at, queue_name) -> None:
    from redis import Redis
    from rq import Queue

    from metacrm.jobs.scheduler import enqueue_on, tick

    platform = crm.application.extensions["metacrm"]
    customer = pool_customer(crm)
    sales["wang"].claim("customer", customer["id"])
    now = at(days=31)

    assert TASK in tick(platform, now, enqueue_on(REDIS_URL or "", queue_name))
    assert tick(platform, now, enqueue_on(REDIS_URL or "", queue_name)) == []
    queue = Queue(queue_name, connection=Redis.from_url(REDIS_URL or ""))
    # The platform's own housekeeping is due on the first tick too: one job each.
    (job,) = [job for job in queue.get_jobs() if job.args[0] == TASK]
    assert job.func_name == "metacrm.jobs.tasks.run_task"
    assert job.args == (TASK, now.isoformat())
    assert crm.get(f"/api/customer/{customer['id']}").json["owner"] == sales["wang"].id

    _work(queue_name)

    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() == {"returned": 1}
    assert crm.get(f"/api/customer/{customer['id']}").json["owner"] is None
    slots = platform.compiled.metadata.tables["mc_job_slots"]
    with platform.reading() as conn:
        result = conn.execute(sa.select(slots.c.result).where(slots.c.name == TASK)).scalar()
    assert result == {"returned": 1}


@pytest.mark.usefixtures("worker_environment")
def test_a_job_for_a_task_that_no_longer_exists_fails_in_rq(crm, queue_name) -> None:
    from redis import Redis
    from rq import Queue

    queue = Queue(queue_name, connection=Redis.from_url(REDIS_URL or ""))
    job = queue.enqueue_call("metacrm.jobs.tasks.run_task", args=("customer.gone",))
    _work(queue_name)
    job.refresh()
    assert job.get_status() == "failed"
