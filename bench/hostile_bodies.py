#!/usr/bin/env python
"""What a cheap hostile request body costs the server.

Migrates a fresh SQLite database (the shipped CRM), creates a salesperson with
an API token and an administrator's token, starts ``gunicorn -w 2`` (sync
workers, as in production) on 127.0.0.1, then sends, one at a time, JSON bodies
made of many unknown keys and times each from the first byte sent to the last
byte of the answer:

- ``login``: anonymous ``POST /api/auth/login`` with ``--keys`` (1,000,000)
  unknown keys, ``{"k0000000":0,...}`` (about 12 MB);
- ``create``: the salesperson's ``POST /api/customer`` with the same keys;
- ``bulk``: the administrator's ``POST /api/customer/bulk`` (the salesperson
  may not import) with 1000 items of ``--keys``/1000 unknown keys each;
- ``customization``: the administrator's ``POST /api/meta/customizations``
  extending ``customer`` with ``--keys`` unknown keys.

Then ``stall``: four ``create`` bodies sent at once by the salesperson while a
fifth client asks for ``GET /api/customer?limit=1`` every 0.1 s; the report gives
the longest wait of that small request (how long the workers were tied up).

Each line gives the status, the answer's size and the time. Target: every
hostile body answered in well under a second, the small request never waiting
more than a second.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
from pathlib import Path

import _common
from _common import Gunicorn, machine_note, save_result, table


def unknown_keys(count: int, prefix: str = "k") -> bytes:
    return b"{" + b",".join(b'"%s%07d":0' % (prefix.encode(), i) for i in range(count)) + b"}"


def send(port: int, method: str, path: str, body: bytes | None,
         token: str | None = None, timeout: float = 300) -> tuple[int, int, float]:
    """(status, answer bytes, seconds) of one request on a fresh connection."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        try:
            conn.request(method, path, body=body, headers=headers)
        except OSError:
            pass  # refused before the body was all sent: its answer may be waiting
        response = conn.getresponse()
        data = response.read()
        return response.status, len(data), time.perf_counter() - started
    except (OSError, http.client.HTTPException):
        return 0, 0, time.perf_counter() - started
    finally:
        conn.close()


def prepare(settings) -> tuple[str, str]:
    """(the salesperson's token, the administrator's token)."""
    from metacrm.identity.tokens import create_token
    from metacrm.identity.users import set_roles
    from metacrm.platform import Platform
    from metacrm.runtime.bootstrap import ensure_user

    _common.migrate(settings)
    platform = Platform.build(settings)
    metadata = platform.compiled.metadata
    with platform.writing() as conn:
        seller = ensure_user(conn, platform.compiled, "seller", "Seller")
        set_roles(conn, metadata, seller, ["salesperson"])
        seller_token, _ = create_token(conn, metadata, seller, "bench")
        admin = ensure_user(conn, platform.compiled, "admin", "admin", is_admin=True)
        admin_token, _ = create_token(conn, metadata, admin, "bench")
    platform.engine.dispose()
    return seller_token, admin_token


def stall(port: int, body: bytes, token: str, senders: int = 4) -> tuple[list, float]:
    """``senders`` hostile bodies at once; the longest wait of a small request meanwhile."""
    results: list[tuple[int, int, float]] = []
    threads = [threading.Thread(target=lambda: results.append(
        send(port, "POST", "/api/customer", body, token))) for _ in range(senders)]
    for thread in threads:
        thread.start()
    worst = 0.0
    time.sleep(0.2)
    while any(t.is_alive() for t in threads):
        _, _, seconds = send(port, "GET", "/api/customer?limit=1", None, token)
        worst = max(worst, seconds)
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    return results, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000,
                        help="unknown keys in each hostile body (default 1,000,000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", default="login,create,bulk,customization,stall",
                        help="comma-separated subset of the cases")
    args = parser.parse_args()
    cases = [c for c in args.cases.split(",") if c]

    print(machine_note())
    flat = unknown_keys(args.keys)
    per_item = max(1, args.keys // 1000)
    item = unknown_keys(per_item)
    bulk = b'{"items":[' + b",".join([item] * 1000) + b"]}"
    extension = b'{"extend":"customer",' + unknown_keys(args.keys)[1:]
    rows = []
    with tempfile.TemporaryDirectory(prefix="metacrm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp / 'hostile.sqlite'}"
        settings = _common.settings_for(url, tmp / "instance")
        seller, admin = prepare(settings)
        env = {"METACRM_DATABASE_URL": url, "METACRM_INSTANCE_PATH": str(tmp / "instance"),
               "METACRM_SECRET_KEY": "bench", "METACRM_RUN_JOBS": "0"}
        with Gunicorn("metacrm.wsgi:app", env, args.workers, log=tmp / "gunicorn.log",
                      extra=("--timeout", "300")) as g:
            _common.wait_for_http(g.port, "/api/customer?limit=1")
            plan = {
                "login": ("POST", "/api/auth/login", flat, None),
                "create": ("POST", "/api/customer", flat, seller),
                "bulk": ("POST", "/api/customer/bulk", bulk, admin),
                "customization": ("POST", "/api/meta/customizations", extension, admin),
            }
            for name in cases:
                if name in plan:
                    method, path, body, token = plan[name]
                    status, size, seconds = send(g.port, method, path, body, token)
                    rows.append([name, f"{method} {path}", f"{len(body):,}", status,
                                 f"{size:,}", f"{seconds * 1000:,.0f}"])
            if "stall" in cases:
                results, worst = stall(g.port, flat, seller)
                slowest = max(r[2] for r in results)
                rows.append(["stall", "4 x create at once", f"{len(flat):,} x 4",
                             ",".join(sorted({str(r[0]) for r in results})),
                             f"{max(r[1] for r in results):,}", f"{slowest * 1000:,.0f}"])
                rows.append(["", "GET /api/customer?limit=1 meanwhile, worst wait", "", "",
                             "", f"{worst * 1000:,.0f}"])
            errors = [line for line in (tmp / "gunicorn.log").read_text().splitlines()
                      if "Traceback" in line or "WORKER TIMEOUT" in line]
    report = [
        f"gunicorn -w {args.workers} metacrm.wsgi:app (SQLite), hostile bodies of "
        f"{args.keys:,} unknown keys", machine_note(), "",
        table(rows, ["case", "request", "body bytes", "status", "answer bytes", "ms"]),
    ]
    if errors:
        report.append("server log: " + "; ".join(errors[:5]))
    text = "\n".join(report)
    print("\n" + text)
    print(f"\nsaved to {save_result('hostile_bodies', text)}")


if __name__ == "__main__":
    sys.exit(main())
