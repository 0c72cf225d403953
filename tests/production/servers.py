"""Real gunicorn instances of the app, for tests that need the production server.

Each instance is ``gunicorn -c gunicorn.conf.py wsgi:app`` (the repository's
own config file) in a process of its own, on a free loopback port, against
the database and Redis it is given. Its stderr (the app's JSON log lines and
gunicorn's) goes to a file the test can read.

Typical use, with a committed database (``tests/conftest.py``)::

    from tests.production.servers import running, settings_from

    with running(2, database_url=url, settings=settings_from(app), directory=tmp) as (a, b):
        requests.get(a.url + "/healthz")
        ...
        assert "intake.request" in a.stderr()

or, for a database of the test's own (a copy of the migrated template) with
an app to set it up through::

    with on_a_copy(template_database_url, tmp_path, count=2) as (app, (a, b)):
        with app.app_context():
            make_user(Role.CLINICIAN)

``settings_from(app)`` gives the instances the test app's keys (session,
audit, TOTP), so rows the test writes through ``app`` (a TOTP secret, an
audit event) are read the same way by every instance. Each call to
:func:`running` uses its own ``RATELIMIT_KEY_PREFIX`` unless one is given, so
runs sharing the suite's Redis never see each other's counts.

The instances run with ``INTAKE_ENV=development``: tests talk plain HTTP to
loopback, and production's ``__Host-`` cookie is Secure, which a client only
sends back over HTTPS. Every other setting is production's (keys from the
environment, Redis, the config file's log setup); password hashing is the
cheap one, as in the rest of the suite.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import Flask

from intake import create_app
from intake.extensions import db
from tests.conftest import _test_config, copy_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Environment the instances inherit from the test process; everything else is
# set explicitly, so a developer's own INTAKE_* or DATABASE_URL never leaks in.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")
START_SECONDS = 60


@dataclass
class Instance:
    """One running gunicorn (master and workers) and where its stderr goes."""

    url: str
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr(self) -> str:
        """Everything the instance wrote to stderr so far."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop it as a deploy would (SIGTERM, graceful), killing it if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def settings_from(app: Flask) -> dict[str, str]:
    """The settings an instance needs to agree with ``app``: its keys and time zone."""
    config = app.config
    return {
        "SECRET_KEY": config["SECRET_KEY"],
        "INTAKE_AUDIT_KEY": config["INTAKE_AUDIT_KEY"],
        "INTAKE_TOTP_KEYS": config["INTAKE_TOTP_KEYS"],
        "INTAKE_TIMEZONE": config["INTAKE_TIMEZONE"],
    }


def _environment(
    *,
    port: int,
    database_url: str,
    redis_url: str,
    key_prefix: str,
    directory: Path,
    settings: Mapping[str, str],
    workers: int,
    threads: int,
) -> dict[str, str]:
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(
        {
            "INTAKE_ENV": "development",
            "INTAKE_PASSWORD_HASHING": "cheapest",
            "INTAKE_BASE_URL": f"http://127.0.0.1:{port}",
            "INTAKE_AUDIT_CHECKPOINTS": str(directory / "audit-checkpoints.jsonl"),
            "INTAKE_COMMAND_LOG": str(directory / "commands.log"),
            "RATELIMIT_KEY_PREFIX": key_prefix,
        }
    )
    env.update(settings)
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INTAKE_BIND": f"127.0.0.1:{port}",
            "INTAKE_WORKERS": str(workers),
            "INTAKE_THREADS": str(threads),
        }
    )
    return env


def _wait_until_up(instance: Instance) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start:\n{instance.stderr()}")
        try:
            if requests.get(f"{instance.url}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a busy machine
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"gunicorn did not answer /healthz in {START_SECONDS} s:\n{instance.stderr()}"
    )


def start(
    *,
    database_url: str,
    directory: Path,
    settings: Mapping[str, str],
    redis_url: str = REDIS_URL,
    key_prefix: str | None = None,
    workers: int = 1,
    threads: int = 2,
    name: str = "instance",
) -> Instance:
    """Start one instance and wait until it answers ``/healthz``."""
    directory.mkdir(parents=True, exist_ok=True)
    prefix = key_prefix or f"intake-test-{uuid.uuid4().hex[:12]}"
    for attempt in range(3):
        port = free_port()
        env = _environment(
            port=port,
            database_url=database_url,
            redis_url=redis_url,
            key_prefix=prefix,
            directory=directory,
            settings=settings,
            workers=workers,
            threads=threads,
        )
        stderr_path = directory / f"{name}-{port}.stderr"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        instance = Instance(f"http://127.0.0.1:{port}", process, stderr_path)
        try:
            _wait_until_up(instance)
        except BaseException as exc:
            # Never leave a gunicorn behind, whatever stopped the wait.
            instance.stop()
            # Another test process (xdist) may have taken the free port between
            # the probe and gunicorn's bind: try another one.
            if (
                isinstance(exc, RuntimeError)
                and attempt < 2
                and "Address already in use" in instance.stderr()
            ):
                continue
            raise
        return instance
    raise AssertionError("unreachable")


@contextmanager
def running(
    count: int,
    *,
    database_url: str,
    directory: Path,
    settings: Mapping[str, str],
    redis_url: str = REDIS_URL,
    key_prefix: str | None = None,
    workers: int = 1,
    threads: int = 2,
) -> Iterator[list[Instance]]:
    """Run ``count`` instances as one service (one database, one Redis, one key prefix)."""
    prefix = key_prefix or f"intake-test-{uuid.uuid4().hex[:12]}"
    with ExitStack() as stack:
        instances = []
        for number in range(count):
            instance = start(
                database_url=database_url,
                directory=directory,
                settings=settings,
                redis_url=redis_url,
                key_prefix=prefix,
                workers=workers,
                threads=threads,
                name=f"instance{number}",
            )
            stack.callback(instance.stop)
            instances.append(instance)
        yield instances


@contextmanager
def on_a_copy(
    template_database_url: str,
    directory: Path,
    *,
    count: int = 2,
    settings: Mapping[str, str] | None = None,
    **options: Any,
) -> Iterator[tuple[Flask, list[Instance]]]:
    """Run ``count`` instances on a new copy of the migrated template; yield an app on it too.

    The app (the test's own configuration, on the same database) is for setting
    up rows and reading what the instances stored; the copy is dropped at the end.
    """
    url = copy_database(template_database_url, directory)
    app = create_app(_test_config(url, directory / "instance"))
    try:
        with running(
            count,
            database_url=url,
            directory=directory,
            settings=settings_from(app) | dict(settings or {}),
            **options,
        ) as instances:
            yield app, instances
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(url)
