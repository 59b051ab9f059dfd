"""A real browser (Debian's Chromium, driven by Playwright) against the CRM served
on a loopback port by a server thread. Skipped, with the reason, where Chromium or
Playwright is missing (`.ci/run` installs both)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]


TEST_PAGES = Path(__file__).parent / "pages"


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served on 127.0.0.1 (a free port) by a server thread: its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_crm(crm) -> Iterator[tuple[Any, str]]:  # type: ignore[no-untyped-def]
    """The shipped CRM served on 127.0.0.1 (a free port): (admin client, base URL)."""
    with serving(crm.application) as base:
        yield crm, base


@pytest.fixture
def live_test_pages(crm) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The shipped CRM served with the test-only pages of tests/browser/pages under
    /_test/: the app's own static files and security headers (its CSP runs no inline
    script), with a page that loads a module under test. The base URL."""
    from flask import Blueprint, send_from_directory

    pages = Blueprint("test_pages", __name__)
    pages.add_url_rule("/_test/<path:name>", "page",
                       lambda name: send_from_directory(TEST_PAGES, name))
    crm.application.register_blueprint(pages)
    with serving(crm.application) as base:
        yield base


@pytest.fixture
def page() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(locale="en-US")
            yield context.new_page()
        finally:
            browser.close()
