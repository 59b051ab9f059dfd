#!/usr/bin/env python
"""Peak memory (RSS) of metacrm's gunicorn workers after warm-up.

Fills a fresh SQLite database with the demo data (``prepare_server(settings,
demo=True)``, what ``metacrm serve --demo`` does), starts ``gunicorn -w 2
metacrm.wsgi:app`` on 127.0.0.1, sends a few hundred mixed requests (lists of
every entity with filters, sorts, search, counts, expansions and deep cursors;
single records; history; meta API and OpenAPI; creates, patches, deletes and
restores), then reads each process's VmHWM (peak resident set) and VmRSS from
/proc/<pid>/status.

Target: every worker's VmHWM < 150 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _common
from _common import Gunicorn, machine_note, save_result, table

TARGET_MB = 150.0


def status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def kb(value: str) -> float:
    return int(value.split()[0]) / 1024.0


def cpu_seconds(pid: int) -> float:
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / 100.0  # utime + stime, clock ticks


TOKEN = {"value": ""}  # the administrator's API token


def call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          "Accept-Language": random.choice(["en", "zh"]),
                                          "Authorization": f"Bearer {TOKEN['value']}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


def mixed_requests(port: int, count: int, seed: int = 3) -> list[tuple[str, str, dict | None]]:
    """A reproducible mix of reads and writes over every entity of the demo data."""
    rnd = random.Random(seed)
    _, entities = call(port, "GET", "/api/meta/entities")
    names = [e["name"] if isinstance(e, dict) else e
             for e in (entities.get("items", entities) if isinstance(entities, dict)
                       else entities or [])]
    names = names or ["customer", "contact", "opportunity", "activity", "product", "tag"]
    reads = [
        "/api/customer?stage=negotiation&grade=A&sort=-annual_revenue&limit=50",
        "/api/customer?lifecycle__in=lead,opportunity&sort=name&limit=100&count=true",
        "/api/customer?q=%E8%B4%B8%E6%98%93&limit=20",
        "/api/customer?city=%E4%B8%8A%E6%B5%B7&expand=owner,tags&limit=50",
        "/api/customer?annual_revenue__gte=1000000&sort=-annual_revenue,name&limit=200",
        "/api/opportunity?expand=customer,contact&sort=-amount&limit=50",
        "/api/opportunity?customer.grade=A&stage__ne=lost&count=true",
        "/api/contact?customer.city=%E5%8C%97%E4%BA%AC&expand=customer.owner&limit=50",
        "/api/activity?sort=-created_at&limit=100&expand=customer",
        "/api/customer/deleted",
        "/api/openapi.json",
        "/api/meta/entities/customer",
        "/api/meta/entities/opportunity",
    ] + [f"/api/{n}?limit=50" for n in names] + [f"/api/meta/entities/{n}" for n in names]
    plan: list[tuple[str, str, dict | None]] = []
    for i in range(count):
        kind = rnd.random()
        if kind < 0.45:
            plan.append(("GET", rnd.choice(reads), None))
        elif kind < 0.70:
            plan.append(("GET", (f"/api/{rnd.choice(['customer', 'contact', 'opportunity'])}/"
                                f"{rnd.randint(1, 1000)}"), None))
        elif kind < 0.75:
            plan.append(("GET", f"/api/customer/{rnd.randint(1, 1000)}/history", None))
        elif kind < 0.87:
            plan.append(("POST", "/api/customer", {
                "name": f"RSS 测试客户 {i}", "stage": rnd.choice(["proposal", "negotiation"]),
                "grade": rnd.choice("ABCD"), "lifecycle": "lead",
                "annual_revenue": f"{rnd.randint(0, 10 ** 8)}.00",
                "phone": "+86 21 5555 0000", "city": "上海"}))
        elif kind < 0.97:
            plan.append(("PATCH", f"/api/customer/{rnd.randint(1, 1000)}",
                         {"annual_revenue": f"{rnd.randint(0, 10 ** 8)}.{i % 100:02d}"}))
        else:
            plan.append(("DELETE", f"/api/customer/{rnd.randint(1001, 1500)}", None))
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=600,
                        help="mixed warm-up requests in all (spread over the workers)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    args.requests = max(10, min(args.requests, 20_000))

    from metacrm.operations import prepare_server

    print(machine_note())
    with tempfile.TemporaryDirectory(prefix="metacrm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp / 'demo.sqlite'}"
        settings = _common.settings_for(url, tmp / "instance")
        started = time.perf_counter()
        if prepare_server(settings, demo=True, echo=lambda line: None) is None:
            sys.exit("migration failed")
        print(f"demo database filled in {time.perf_counter() - started:.0f} s")
        TOKEN["value"] = _common.admin_token(settings)
        env = {"METACRM_DATABASE_URL": url, "METACRM_INSTANCE_PATH": str(tmp / "instance"),
               "METACRM_SECRET_KEY": "bench"}
        with Gunicorn("metacrm.wsgi:app", env, args.workers, log=tmp / "gunicorn.log") as g:
            _common.wait_for_http(g.port, "/api/customer?limit=1")
            time.sleep(0.5)
            workers = g.worker_pids()
            idle = {pid: kb(status(pid)["VmRSS"]) for pid in workers + [g.proc.pid]}
            cpu_before = {pid: cpu_seconds(pid) for pid in workers}
            plan = mixed_requests(g.port, args.requests)
            codes: dict[int, int] = {}
            warm_start = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                for code, _ in pool.map(lambda r: call(g.port, *r), plan):
                    codes[code] = codes.get(code, 0) + 1
            warm_seconds = time.perf_counter() - warm_start
            rows = []
            worst = 0.0
            for pid in [g.proc.pid] + workers:
                info = status(pid)
                role = "master" if pid == g.proc.pid else "worker"
                hwm = kb(info["VmHWM"])
                if role == "worker":
                    worst = max(worst, hwm)
                rows.append([role, pid, f"{idle[pid]:.1f}", f"{kb(info['VmRSS']):.1f}",
                             f"{hwm:.1f}", f"{kb(info.get('RssAnon', '0 kB')):.1f}",
                             f"{cpu_seconds(pid) - cpu_before[pid]:.1f}" if pid in cpu_before
                             else "-",
                             ("ok" if hwm < TARGET_MB else "MISSED") if role == "worker" else ""])
            log_tail = (tmp / "gunicorn.log").read_text()[-2000:]
    report = [
        (f"gunicorn -w {args.workers} metacrm.wsgi:app on the demo SQLite database, after "
        f"{args.requests} mixed requests ({args.concurrency} at a time, "
        f"{warm_seconds:.1f} s); MB = MiB"),
        machine_note(), "",
        table(rows, ["process", "pid", "RSS idle", "RSS now", "VmHWM (peak)", "RssAnon",
                     "CPU s in warm-up", f"< {TARGET_MB:g}"]), "",
        "answers: " + ", ".join(f"{code}: {n}" for code, n in sorted(codes.items())),
        (f"worst worker peak {worst:.1f} MB = {worst / TARGET_MB:.2f} of the {TARGET_MB:g} MB "
        "target"),
    ]
    if any(code >= 500 for code in codes):
        report.append("server errors in the log:\n" + log_tail)
    text = "\n".join(report)
    print("\n" + text)
    print(f"\nsaved to {save_result('rss', text)}")


if __name__ == "__main__":
    sys.exit(main())
