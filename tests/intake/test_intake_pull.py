"""A pull-style source: the json_http plugin reads leads from a JSON HTTP feed (here a
server on 127.0.0.1 started by the test) since the stored cursor; the scheduled job
``intake.<source>`` stores them, logs the ones refused, keeps the cursor, and survives
the feed being away."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from metacrm.cli import main
from metacrm.jobs.tasks import compile_tasks, find_task, perform, run_and_record
from metacrm.operations import migrate_database
from metacrm.web.app import create_app

from ..conftest import admin_client
from .conftest import intake_bundle, records

PLUGIN = "plugins.json_http:plugin"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
FEED = [
    {"id": 1, "updated_at": "2026-12-01T08:00:00Z", "company": "北京华信科技有限公司"},
    {"id": 2, "updated_at": "2026-12-01T09:00:00Z", "company": ""},  # refused: no name
    {"id": 3, "updated_at": "2026-12-02T10:00:00Z", "company": "广州南方贸易有限公司"},
]


class Feed:
    """A partner's lead feed: ``GET /leads?since=<updated_at>`` answers
    ``{"data": [...]}`` with the leads changed after it, two per page."""

    def __init__(self) -> None:
        self.leads: list[dict[str, Any]] = list(FEED)
        self.asked: list[str | None] = []
        self.down = False
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                since = parse_qs(urlsplit(self.path).query).get("since", [None])[0]
                feed.asked.append(since)
                if feed.down or self.headers.get("Authorization") != "Bearer feed-secret":
                    self.send_response(503 if feed.down else 401)
                    self.end_headers()
                    return
                page = [lead for lead in feed.leads if since is None
                        or lead["updated_at"] > since][:2]
                body = json.dumps({"data": page}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/leads"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def feed() -> Iterator[Feed]:
    served = Feed()
    yield served
    served.server.shutdown()
    served.server.server_close()


def partner_source(url: str) -> str:
    return f"""
        intake: partner_feed
        entity: prospect
        label: {{en: Partner feed}}
        fields: {{company: name}}
        set: {{origin: partner}}
        external_id: id
        ignore: [updated_at]
        pull:
          hook: json_http.pull_leads
          every: 10m
          options: {{url: "{url}", items: data, cursor_key: updated_at,
                    token_env: PARTNER_TOKEN, timeout: 5}}
        """


@pytest.fixture
def pulling(make_settings, tmp_path: Path, feed: Feed,  # type: ignore[no-untyped-def]
            monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PARTNER_TOKEN", "feed-secret")
    bundle = intake_bundle(tmp_path / "leads", partner_source(feed.url))
    settings = replace(make_settings(bundle), plugins=(PLUGIN,))
    assert migrate_database(settings, echo=lambda line: None)
    app = create_app(settings)
    yield admin_client(app)
    app.extensions["metacrm"].engine.dispose()


def test_the_job_stores_new_leads_and_keeps_the_cursor(pulling, feed: Feed, caplog) -> None:
    platform = pulling.application.extensions["metacrm"]
    tasks = compile_tasks(platform.compiled)
    assert tasks["intake.partner_feed"].every_seconds == 600
    task = find_task(platform.compiled, "intake.partner_feed")
    with caplog.at_level(logging.WARNING, logger="metacrm.intake"):
        outcome = run_and_record(platform, task, NOW)
    assert outcome.result == {"created": 2, "existing": 0, "failed": 1,
                              "cursor": "2026-12-02T10:00:00Z"}
    assert "refused lead 1 (2): {'company'" in caplog.text  # logged, not fatal
    assert feed.asked == [None, "2026-12-01T09:00:00Z", "2026-12-02T10:00:00Z"]
    assert [(r["name"], r["origin"]) for r in records(pulling)] == [
        ("北京华信科技有限公司", "partner"), ("广州南方贸易有限公司", "partner")]
    # the next run asks from the cursor and stores only what is new
    feed.leads.append({"id": 4, "updated_at": "2026-12-03T08:00:00Z", "company": "新客户"})
    again = perform(platform, task, NOW)
    assert again.result["created"] == 1 and feed.asked[3] == "2026-12-02T10:00:00Z"
    assert len(records(pulling)) == 3


def test_a_lead_read_twice_is_stored_once(pulling, feed: Feed) -> None:
    platform = pulling.application.extensions["metacrm"]
    task = find_task(platform.compiled, "intake.partner_feed")
    perform(platform, task, NOW)
    feed.leads.append({**FEED[0], "updated_at": "2026-12-03T09:00:00Z"})  # changed, resent
    outcome = perform(platform, task, NOW)
    assert (outcome.result["created"], outcome.result["existing"]) == (0, 1)
    assert len(records(pulling)) == 2


def test_the_feed_away_stops_the_run_and_keeps_the_cursor(pulling, feed: Feed) -> None:
    platform = pulling.application.extensions["metacrm"]
    task = find_task(platform.compiled, "intake.partner_feed")
    feed.down = True
    outcome = perform(platform, task, NOW)
    assert outcome.result["created"] == 0 and "503" in outcome.result["error"]
    assert outcome.result["cursor"] is None
    feed.down = False
    assert perform(platform, task, NOW).result["created"] == 2  # from the start again


def test_the_command_line_pulls_and_lists(pulling, feed: Feed, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    settings = pulling.application.extensions["metacrm"].settings
    monkeypatch.setenv("METACRM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("METACRM_BUNDLES", settings.bundles[0])
    monkeypatch.setenv("METACRM_PLUGINS", PLUGIN)
    result = CliRunner().invoke(main, ["intake", "pull", "partner_feed"])
    assert result.exit_code == 0, result.output
    assert "created 2 lead(s), 0 already there, 1 refused" in result.output
    listing = CliRunner().invoke(main, ["intake", "list"]).output
    assert "partner_feed: prospect, pull json_http.pull_leads every 600s" in listing
    assert "cursor '2026-12-02T10:00:00Z'" in listing


CSV_SOURCE = """
    intake: fair_drop
    entity: prospect
    fields: {公司名称: name, 电话: phone, 区域: region}
    external_id: 编号
    set: {origin: fair}
    pull:
      hook: csv_folder.pull_leads
      every: 5m
      options: {folder: "FOLDER"}
    """


def test_a_csv_drop_folder_is_read_once_and_moved_to_done(make_settings, tmp_path: Path,
                                                          caplog) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "day1.csv").write_text("编号,公司名称,电话,区域\n1,华东展商有限公司,13800138000,south\n"
                                   "2,,13900139000,north\n3,西北展商,,\n", encoding="utf-8-sig")
    (drop / "day2.csv").write_text("编号,公司名称\n3,西北展商\n4,东北展商\n", encoding="utf-8-sig")
    (drop / "notes.txt").write_text("not a CSV")
    bundle = intake_bundle(tmp_path / "leads", CSV_SOURCE.replace("FOLDER", str(drop)))
    settings = replace(make_settings(bundle), plugins=("plugins.csv_folder:plugin",))
    assert migrate_database(settings, echo=lambda line: None)
    app = create_app(settings)
    try:
        client = admin_client(app)
        platform = app.extensions["metacrm"]
        task = find_task(platform.compiled, "intake.fair_drop")
        with caplog.at_level(logging.WARNING, logger="metacrm.intake"):
            outcome = perform(platform, task, NOW)
        # row 2 has no company: refused and logged; row 3 again in day2: stored once
        assert outcome.result == {"created": 3, "existing": 1, "failed": 1,
                                  "cursor": "day2.csv"}
        assert "refused lead 1 (2)" in caplog.text
        assert sorted(p.name for p in drop.iterdir()) == ["done", "notes.txt"]
        assert sorted(p.name for p in (drop / "done").iterdir()) == ["day1.csv", "day2.csv"]
        assert [(r["name"], r["region"], r["origin"]) for r in records(client)] == [
            ("华东展商有限公司", "south", "fair"), ("西北展商", None, "fair"),
            ("东北展商", None, "fair")]
        assert perform(platform, task, NOW).result["created"] == 0  # nothing new
    finally:
        app.extensions["metacrm"].engine.dispose()
