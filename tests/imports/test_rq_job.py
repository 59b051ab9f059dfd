"""With Redis configured, an import started through the API goes on the RQ queue
and a worker (which rebuilds the platform from its environment) runs it."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace

import pytest

from .conftest import Importer, records

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis():  # type: ignore[no-untyped-def]
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisDown:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return connection


def test_the_import_runs_on_the_rq_queue(crm, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rq import Queue, SimpleWorker

    import metacrm.jobs.scheduler as scheduler

    connection = _redis()
    queue_name = f"metacrm-test-{uuid.uuid4().hex[:8]}"  # nobody else's worker takes it
    monkeypatch.setattr(scheduler, "QUEUE", queue_name)
    platform = crm.application.extensions["metacrm"]
    monkeypatch.setattr(platform, "settings", replace(platform.settings, redis_url=REDIS_URL))
    settings = platform.settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", ":".join(settings.bundles))
    monkeypatch.setenv("METACRM_INSTANCE_PATH", settings.instance_path)
    monkeypatch.setenv("METACRM_SECRET_KEY", settings.secret_key)
    who = Importer(crm)

    started = crm.post("/api/customer/imports", headers=who.headers, data={
        "file": (io.BytesIO("name\n甲\n乙\n".encode()), "c.csv")},
        content_type="multipart/form-data")

    assert started.status_code == 202, started.json
    assert started.json["runs_in"] == "queue" and started.json["status"] == "queued"
    queue = Queue(queue_name, connection=connection)
    try:
        assert queue.count == 1
        SimpleWorker([queue], connection=connection).work(burst=True)
    finally:
        queue.delete(delete_jobs=True)
    done = crm.get(started.headers["Location"], headers=who.headers).json
    assert done["status"] == "done", done
    assert [r["name"] for r in records(crm)] == ["甲", "乙"]
