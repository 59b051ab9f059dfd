#!/usr/bin/env python3
"""What the web pages cost, against the API they are built on (issue 10's targets).

1. Server time of a list page of 50 rows against the JSON API answering the same
   query (same columns, same expansions, same scope): interleaved rounds in one
   process (the Flask test client: no network, so only the server's work counts).
   Target: page / API <= 1.5. Also in CPU time of the serving thread, which leaves
   out what a machine busy with other work adds while the request waits for a core.
2. The JavaScript and CSS a record page loads, gzipped (-9). Target <= 120 KB.
   And a report page with a chart, which alone loads ECharts (no target: charts only
   there).
3. Time until a record page is interactive in headless Chromium (the navigation's
   domContentLoadedEventEnd: every script is deferred, so it has run by then),
   median of --loads loads with a warm cache. Target < 300 ms.

    python bench/ui_pages.py [--rounds 200] [--loads 30]

Runs on SQLite with the demo data (built in a temporary folder, ~1 minute).
"""

from __future__ import annotations

import argparse
import gzip
import logging
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

from _common import machine_note, save_result, settings_for, table

REPORT_PAGE = "/reports/won_opportunities?period=all"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]


def build_demo(folder: Path):  # type: ignore[no-untyped-def]
    from metacrm.operations import prepare_server

    settings = settings_for(f"sqlite:///{folder / 'demo.db'}", folder / "instance")
    app = prepare_server(settings, demo=True, echo=lambda _line: None)
    assert app is not None
    return app


def server_times(app, rounds: int  # type: ignore[no-untyped-def]
                 ) -> tuple[list[float], list[float], list[float], list[float], str]:
    from _common import admin_token  # noqa: I001

    from metacrm.base.context import Principal
    from metacrm.ui.form_layout import layout_list_columns
    from metacrm.ui.layout import expandable, list_columns

    token = admin_token(app.extensions["metacrm"].settings)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    compiled = app.extensions["metacrm"].compiled
    model = compiled.models["customer"]
    # The columns the page shows an administrator: its form layout's, else the default.
    form = compiled.form_for("customer", Principal(None, admin=True))
    columns = (layout_list_columns(model.entity, form, frozenset())
               or list_columns(model.entity, frozenset()))
    api = (f"/api/customer?limit=50&fields={','.join(c.name for c in columns)}"
           f"&expand={','.join(expandable(columns))}")
    page = "/customer"
    for url in (page, api):  # warm both
        assert client.get(url).status_code == 200, url
    page_times, api_times, page_cpu, api_cpu = [], [], [], []
    for _ in range(rounds):
        for url, into, cpu in ((page, page_times, page_cpu), (api, api_times, api_cpu)):
            started, used = time.perf_counter(), time.thread_time()
            response = client.get(url)
            into.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - used) * 1000)
            assert response.status_code == 200
    return page_times, api_times, page_cpu, api_cpu, api


def page_weight(app, url: str = "/quote/10") -> tuple[int, list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    from _common import admin_token  # noqa: I001

    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = (
        f"Bearer {admin_token(app.extensions['metacrm'].settings)}")
    html = client.get(url).get_data(as_text=True)
    assets = re.findall(r'<script[^>]*src="([^"]+)"', html) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', html)
    sizes = [(url, len(gzip.compress(client.get(url).data, 9))) for url in assets]
    return sum(size for _, size in sizes), sizes


def interactive_times(app, loads: int) -> list[float]:  # type: ignore[no-untyped-def]
    from _common import admin_token  # noqa: I001
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    token = admin_token(app.extensions["metacrm"].settings)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    times = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=FLAGS)
            context = browser.new_context(extra_http_headers={
                "Authorization": f"Bearer {token}"})
            page = context.new_page()
            page.goto(f"{base}/quote/10")  # warm the cache
            for _ in range(loads):
                page.goto(f"{base}/quote/10", wait_until="load")
                times.append(page.evaluate(
                    "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"))
            browser.close()
    finally:
        server.shutdown()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--loads", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = build_demo(Path(folder))
        page_ms, api_ms, page_cpu, api_cpu, api_url = server_times(app, args.rounds)
        weight, assets = page_weight(app)
        report_weight, report_assets = page_weight(app, REPORT_PAGE)
        tti = interactive_times(app, args.loads)
        app.extensions["metacrm"].engine.dispose()
    ratio = statistics.median(page_ms) / statistics.median(api_ms)
    cpu_ratio = statistics.median(page_cpu) / statistics.median(api_cpu)
    report = "\n".join([
        machine_note(),
        f"list page /customer vs {api_url} (admin, demo data, {args.rounds} interleaved rounds)",
        table([["page", f"{statistics.median(page_ms):.2f}",
                f"{statistics.quantiles(page_ms, n=20)[18]:.2f}"],
               ["API", f"{statistics.median(api_ms):.2f}",
                f"{statistics.quantiles(api_ms, n=20)[18]:.2f}"]],
              ["", "p50 ms", "p95 ms"]),
        f"page / API (p50): {ratio:.2f}  (target <= 1.5)",
        f"the same in CPU time of the serving thread (p50 {statistics.median(page_cpu):.2f} / "
        f"{statistics.median(api_cpu):.2f} ms, the time a busy machine adds waiting for a "
        f"core left out): {cpu_ratio:.2f}",
        "",
        table([[url, f"{size / 1024:.1f}"] for url, size in assets],
              ["asset of a record page", "KB gzipped"]),
        f"total: {weight / 1024:.1f} KB gzipped  (target <= 120 KB)",
        "",
        table([[url, f"{size / 1024:.1f}"] for url, size in report_assets],
              [f"asset of {REPORT_PAGE}", "KB gzipped"]),
        f"total: {report_weight / 1024:.1f} KB gzipped  (charts: report pages only)",
        "",
        f"record page interactive (domContentLoadedEventEnd), {args.loads} loads: "
        f"p50 {statistics.median(tti):.0f} ms, max {max(tti):.0f} ms  (target < 300 ms)",
    ])
    print(report)
    print(f"saved to {save_result('ui_pages', report)}")


if __name__ == "__main__":
    main()
