"""A private PostgreSQL and a private Redis for fault tests, on free loopback ports.

Fault tests stop and start these; the shared servers the rest of the suite
uses (127.0.0.1:5432 and :6379) are never touched. Each is made in a fresh
temporary directory and removed when stopped for good (:meth:`destroy`).

PostgreSQL comes from ``initdb`` and ``pg_ctl`` (``INTAKE_PG_BIN``, default
``/usr/lib/postgresql/15/bin``); ``initdb`` refuses root, so as root the
cluster is made and run as the ``postgres`` system user. Redis is a plain
``redis-server`` with persistence off.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis

PG_BIN = Path(os.environ.get("INTAKE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def postgres_available() -> bool:
    return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster; ``stop()`` and ``start()`` at will."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="intake-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.start()

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", *args]),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._ctl("-o", options, "-l", str(self.directory / "log"), "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server: ``immediate`` cuts every connection, as a crash would."""
        self._ctl("-m", mode, "stop")

    def url(self, database: str = "postgres", *, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateRedis:
    """A throwaway ``redis-server``; ``stop()`` and ``start()`` at will (same port)."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="intake-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
