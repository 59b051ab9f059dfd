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
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

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
    import urllib.request

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                if r.status < 500:
                    return
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path} in {timeout}s: {last}")


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
        out = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=out,
                                     cwd=str(REPO), start_new_session=True)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def __enter__(self) -> "Gunicorn":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def scratch_postgres(name: str, keep: bool = False) -> Iterator[str]:
    """CREATE DATABASE <name> (dropped first if left over, and dropped after)."""
    import sqlalchemy as sa

    if not name.startswith("metacrm_bench"):
        raise ValueError("bench databases are named metacrm_bench_*")
    admin = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
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
                       for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def save_result(name: str, text: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{name}-{stamp}.txt"
    path.write_text(text)
    return path
