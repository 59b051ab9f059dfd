"""Settings from ``METACRM_*`` environment variables, with embedded defaults."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


def default_bundle_path() -> str:
    """The shipped CRM bundle: the repository root (it holds bundle.yaml)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "bundle.yaml").is_file() and (parent / "entities").is_dir():
            return str(parent)
    return os.getcwd()


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    bundles: tuple[str, ...]
    secret_key: str
    instance_path: str
    schema_check_interval: float = 1.0
    max_request_bytes: int = 16 * 1024 * 1024
    # Keys of a JSON body's objects at any depth, plus its list items: a bulk create of
    # 1000 records of 50 fields is half of it.
    max_request_keys: int = 100_000
    session_idle_minutes: int = 480
    session_max_hours: int = 168
    secure_cookies: bool = False
    login_account_limit: int = 5
    login_address_limit: int = 20
    login_window_minutes: int = 15
    proxy_count: int = 0
    password_min_length: int = 10
    # The security record (identity/security_events.py) keeps events this long.
    security_events_days: int = 180
    run_jobs: bool = True
    plugins: tuple[str, ...] = ()
    # E-mail of notifications (jobs/mail.py): smtp://user:pass@host:587?starttls=1 or
    # smtps://host:465; unset, nothing is e-mailed.
    smtp_url: str | None = None
    mail_from: str | None = None
    # Where clients reach the API (the OpenAPI document's server): never taken from the
    # request's Host header, which the client chooses.
    public_url: str | None = None
    # Migration statements on PostgreSQL (SET LOCAL, migrate/session.py): how long one
    # waits for a table lock (while it waits, later queries on the table queue behind
    # it) and how long it may run; 0 is no limit.  Concurrent index builds: see
    # migrate/concurrent.py.
    migration_lock_timeout: float = 2.0
    migration_statement_timeout: float = 600.0
    migration_concurrent_indexes: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *,
                 keep_secret: bool = True) -> Settings:
        """The settings of the environment. ``keep_secret=False`` is for commands that
        sign nothing (``migrate --dry-run``): no secret key is written to the
        instance folder, and the key is empty unless one exists."""
        env = os.environ if environ is None else environ
        instance = env.get("METACRM_INSTANCE_PATH") or os.path.join(os.getcwd(), "instance")
        database = env.get("METACRM_DATABASE_URL") or (
            "sqlite:///" + os.path.join(instance, "metacrm.sqlite"))
        bundles = env.get("METACRM_BUNDLES")
        paths = tuple(p for p in bundles.split(os.pathsep) if p) if bundles else (
            default_bundle_path(),)
        return cls(
            database_url=database,
            redis_url=env.get("METACRM_REDIS_URL") or None,
            bundles=paths,
            secret_key=env.get("METACRM_SECRET_KEY") or (
                _instance_secret(instance) if keep_secret else _existing_secret(instance)),
            instance_path=instance,
            schema_check_interval=float(env.get("METACRM_SCHEMA_CHECK_INTERVAL", "1.0")),
            max_request_bytes=int(env.get("METACRM_MAX_REQUEST_BYTES", 16 * 1024 * 1024)),
            max_request_keys=int(env.get("METACRM_MAX_REQUEST_KEYS", 100_000)),
            session_idle_minutes=int(env.get("METACRM_SESSION_IDLE_MINUTES", 480)),
            session_max_hours=int(env.get("METACRM_SESSION_MAX_HOURS", 168)),
            secure_cookies=_flag(env.get("METACRM_SECURE_COOKIES", "")),
            login_account_limit=int(env.get("METACRM_LOGIN_ACCOUNT_LIMIT", 5)),
            login_address_limit=int(env.get("METACRM_LOGIN_ADDRESS_LIMIT", 20)),
            login_window_minutes=int(env.get("METACRM_LOGIN_WINDOW_MINUTES", 15)),
            proxy_count=int(env.get("METACRM_PROXY_COUNT", 0)),
            password_min_length=_at_least(8, "METACRM_PASSWORD_MIN_LENGTH",
                                          env.get("METACRM_PASSWORD_MIN_LENGTH", "10")),
            security_events_days=_at_least(1, "METACRM_SECURITY_EVENTS_DAYS",
                                           env.get("METACRM_SECURITY_EVENTS_DAYS", "180")),
            run_jobs=env.get("METACRM_RUN_JOBS", "1") not in ("0", "false", "no"),
            plugins=tuple(p.strip() for p in env.get("METACRM_PLUGINS", "").split(",")
                          if p.strip()),
            smtp_url=env.get("METACRM_SMTP_URL") or None,
            mail_from=env.get("METACRM_MAIL_FROM") or None,
            public_url=_public_url(env.get("METACRM_PUBLIC_URL") or None),
            migration_lock_timeout=_seconds(env, "METACRM_MIGRATION_LOCK_TIMEOUT", 2.0),
            migration_statement_timeout=_seconds(env, "METACRM_MIGRATION_STATEMENT_TIMEOUT",
                                                 600.0),
            migration_concurrent_indexes=_flag(
                env.get("METACRM_MIGRATION_CONCURRENT_INDEXES", "1")),
        )


def _at_least(floor: int, name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = floor - 1
    if number < floor:
        raise ValueError(f"{name} must be a whole number of at least {floor}, got {value!r}")
    return number


def _public_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"METACRM_PUBLIC_URL must be an http:// or https:// URL such as "
                         f"https://crm.example.com, got {value!r}")
    return value.strip().rstrip("/")


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ValueError(f"{name} must be a number of seconds, 0 or more (0: no limit), "
                         f"not {text!r}")
    return value


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _existing_secret(instance: str) -> str:
    try:
        return (Path(instance) / "secret_key").read_text().strip()
    except OSError:
        return ""


def _instance_secret(instance: str) -> str:
    """A random key kept in the instance folder, so sessions survive restarts.

    Whoever reads the key can forge session cookies: the file is readable by its
    owner only (0600, in a folder created 0700). It is written aside and linked into
    place, which fails if another process got there first: processes starting at
    once all end up with the one key that was linked, never a half-written file."""
    path = Path(instance) / "secret_key"
    try:
        return path.read_text().strip()
    except OSError:
        pass
    key = secrets.token_hex(32)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, aside = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # 0600
    except OSError:
        return key
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(key)
        os.link(aside, path)
    except FileExistsError:
        return path.read_text().strip()
    except OSError:
        pass
    finally:
        os.unlink(aside)
    return key
