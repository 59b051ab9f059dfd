"""Helpers shared by the benchmarks (not a benchmark itself).

Everything here only touches 127.0.0.1 and databases/files the benchmark
creates itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
PLATFORM = REPO / "platform"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"

if str(PLATFORM) not in sys.path:  # run from a checkout without `pip install -e`
    sys.path.insert(0, str(PLATFORM))


def venv_bin(name: str) -> str:
    """A console script next to the running interpreter (the venv), else on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found (activate the venv: . .venv/bin/activate)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(port: int, path: str, timeout: float = 30.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                if r.status < 500:
                    return
        except urllib.error.HTTPError as exc:  # 401 without a token: it is up
            if exc.code < 500:
                return
            last = exc
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path} in {timeout}s: {last}")


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM to a server started in a session of its own; its group killed after 20 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


class Gunicorn:
    """``gunicorn -w N`` on 127.0.0.1:<free port>, stopped (by its own pid) on exit."""

    def __init__(self, app: str, env: dict[str, str], workers: int = 2,
                 log: Path | None = None, extra: Sequence[str] = ()):
        self.port = free_port()
        self.log_path = log
        cmd = [venv_bin("gunicorn"), "-w", str(workers), "-k", "sync",
               "-b", f"127.0.0.1:{self.port}", "--timeout", "120",
               "--log-level", "warning", *extra, app]
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = os.pathsep.join(
            [str(BENCH), str(PLATFORM), full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        full_env.update(env)
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (closed in stop)
        self._out = out
        self.proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=out,
                                     cwd=str(REPO), start_new_session=True)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        stop_process(self.proc)
        if self._out is not subprocess.DEVNULL:
            self._out.close()

    def __enter__(self) -> Gunicorn:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def scratch_postgres(name: str, keep: bool = False, reuse: bool = False) -> Iterator[str]:
    """CREATE DATABASE <name> (dropped first if left over, and dropped after).

    With ``reuse`` a database left by an earlier ``--keep`` run is used as it is
    (and kept): the caller decides whether its contents will do."""
    import sqlalchemy as sa

    if not name.startswith("metacrm_bench"):
        raise ValueError("bench databases are named metacrm_bench_*")
    admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                             isolation_level="AUTOCOMMIT")
    keep = keep or reuse
    with admin.connect() as conn:
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}).first()
        if not (reuse and exists):
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def settings_for(database_url: str, instance: Path, bundles: Sequence[str] | None = None):
    from metacrm.config import Settings, default_bundle_path

    instance.mkdir(parents=True, exist_ok=True)
    return Settings(database_url=database_url, redis_url=None,
                    bundles=tuple(bundles or (default_bundle_path(),)),
                    secret_key="bench", instance_path=str(instance))


def admin_token(settings) -> str:
    """An API token of an administrator ``admin`` (created if missing)."""
    from metacrm.identity.tokens import create_token
    from metacrm.platform import Platform
    from metacrm.runtime.bootstrap import ensure_user

    platform = Platform.build(settings)
    with platform.writing() as conn:
        admin = ensure_user(conn, platform.compiled, "admin", "admin", is_admin=True)
        token, _ = create_token(conn, platform.compiled.metadata, admin, "bench")
    platform.engine.dispose()
    return token


def migrate(settings) -> None:
    from metacrm.operations import migrate_database

    if not migrate_database(settings, echo=lambda _line: None):
        sys.exit("metacrm migrate failed")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def save_result(name: str, text: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{name}-{stamp}.txt"
    path.write_text(text)
    return path


# --- seeding customers ------------------------------------------------------------

CITIES = [("上海", "上海"), ("北京", "北京"), ("广东", "深圳"), ("广东", "广州"), ("浙江", "杭州"),
          ("江苏", "南京"), ("四川", "成都"), ("湖北", "武汉")]


def option_values(compiled, entity: str, field: str) -> list[str]:
    definition = compiled.models[entity].entity.fields[field]
    return list(compiled.catalog.optionsets[definition.options].values())


def seed_customers(engine, compiled, count: int, *, seed: int = 1, chunk: int = 5000,
                   tags_per_customer: int = 0) -> None:
    """Bulk-insert ``count`` customers with SQLAlchemy Core (executemany per chunk).

    Every value satisfies the definitions: required name and lifecycle, option
    values of the option sets, money >= 0, valid phone/email, the
    phone_when_customer rule, and codes CUS-000001.. with the autonumber counter
    moved past them so that later creates through the API get fresh numbers.
    """
    import random
    from datetime import datetime, timedelta
    from decimal import Decimal

    import sqlalchemy as sa

    model = compiled.models["customer"]
    table = model.table
    users = compiled.metadata.tables["mc_users"]
    sequences = compiled.metadata.tables["mc_sequences"]
    stages = option_values(compiled, "customer", "stage")
    grades = option_values(compiled, "customer", "grade")
    lifecycles = option_values(compiled, "customer", "lifecycle")
    industries = option_values(compiled, "customer", "industry")
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    # rollups (aggregates of child records) start as a new record's: 0 counts and sums
    rollups = {f.name: (0 if f.aggregate in ("count", "sum") else None)
               for f in model.entity.fields.values() if f.type == "rollup"}
    with engine.begin() as conn:
        admin = conn.execute(sa.select(sa.func.min(users.c.id))).scalar_one()
        start = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        tag_ids = []
        if tags_per_customer:
            tag_table = compiled.models["tag"].table
            tag_ids = list(conn.execute(sa.select(tag_table.c.id)).scalars())
            if not tag_ids:
                conn.execute(tag_table.insert(), [
                    {"name": f"bench-tag-{i}", "color": "#5b8ff9", "version": 1,
                     "created_at": now, "updated_at": now, "created_by": admin,
                     "updated_by": admin} for i in range(20)])
                tag_ids = list(conn.execute(sa.select(tag_table.c.id)).scalars())
    done = 0
    while done < count:
        rows = []
        for i in range(start + done + 1, start + min(done + chunk, count) + 1):
            province, city = CITIES[i % len(CITIES)]
            created = now - timedelta(minutes=rnd.randrange(0, 700 * 24 * 60))
            rows.append({
                "version": 1, "created_at": created, "updated_at": created,
                "created_by": admin, "updated_by": admin,
                "name": f"{city}基准测试{i:07d}贸易有限公司", "code": f"CUS-{i:06d}",
                "short_name": f"基准{i}", "industry": rnd.choice(industries),
                "grade": rnd.choice(grades), "stage": rnd.choice(stages),
                "lifecycle": rnd.choice(lifecycles), "owner": admin,
                "phone": f"+86 21 {5550_0000 + i % 10_000_000:08d}",
                "email": f"contact{i}@bench.example.com",
                "website": f"https://www.bench{i}.example.com",
                "province": province, "city": city, "address": f"{city}市测试路{i % 999 + 1}号",
                "annual_revenue": Decimal(rnd.randrange(0, 5_000_000_000)) / 100,
                "employees": rnd.randrange(1, 20_000),
                **rollups,
            })
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
            if tag_ids:
                first = conn.execute(sa.select(sa.func.min(table.c.id)).where(
                    table.c.code == rows[0]["code"])).scalar_one()
                link = model.link_tables["tags"]
                conn.execute(link.insert(), [
                    {"source_id": first + k, "target_id": t}
                    for k in range(len(rows))
                    for t in rnd.sample(tag_ids, tags_per_customer)])
        done += len(rows)
    set_counter(engine, sequences, "customer.code", start + count)


def set_counter(engine, sequences, name: str, value: int) -> None:

    with engine.begin() as conn:
        updated = conn.execute(sequences.update().where(sequences.c.name == name)
                               .values(value=value)).rowcount
        if not updated:
            conn.execute(sequences.insert().values(name=name, value=value))


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each of the processes ``pids`` (all their threads) used
    so far (those that ended left out)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a gunicorn master and its workers, a node cluster)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            todo += [int(p) for p in Path(f"/proc/{current}/task/{current}/children")
                     .read_text().split()]
        except OSError:
            continue
    return found


def memory_mb(pids: Sequence[int]) -> tuple[float, float]:
    """Summed VmRSS and VmHWM (peak) of ``pids`` in MB (those that ended left out)."""
    rss = hwm = 0.0
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition(":")
            if key == "VmRSS":
                rss += int(value.split()[0]) / 1024
            elif key == "VmHWM":
                hwm += int(value.split()[0]) / 1024
    return rss, hwm


def run_wrk(port: int, script: str, script_args: Sequence[str], *, threads: int,
            connections: int, seconds: float) -> dict:
    """wrk -t -c -d with a script of bench/wrk/ that prints one ``RESULT {json}`` line;
    that result with ``rps`` (requests per second) added."""
    import json

    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, int(seconds))}s",
           "--timeout", "10s", "-s", str(BENCH / "wrk" / script),
           f"http://127.0.0.1:{port}", "--", *script_args]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")


def machine_note() -> str:
    load1, load5, _ = os.getloadavg()
    note = f"machine: {os.cpu_count()} CPUs, load average {load1:.2f} (1 min) {load5:.2f} (5 min)"
    if load1 > 0.7:
        note += "  -- WARNING: the machine is busy; figures will be noisy"
    return note
