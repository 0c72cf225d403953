"""The README's third command, ``python -m intake.serve``, and ``gunicorn.conf.py`` (issue 14).

Both refuse to start without what production needs, naming it; on PostgreSQL
the command creates a missing database, migrates it and serves.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from cryptography.fernet import Fernet

from intake.serve import REQUIRED
from tests.conftest import BACKEND, PG_SERVER, drop_database, pg_url
from tests.production.servers import GUNICORN_CONF, REDIS_URL, ROOT, free_port


def _production_environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "VIRTUAL_ENV")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=uuid.uuid4().hex,
        INTAKE_AUDIT_KEY=uuid.uuid4().hex,
        INTAKE_TOTP_KEYS=Fernet.generate_key().decode(),
        REDIS_URL=REDIS_URL,
        INTAKE_AUDIT_CHECKPOINTS=str(tmp_path / "checkpoints.jsonl"),
        INTAKE_COMMAND_LOG=str(tmp_path / "commands.log"),
        RATELIMIT_KEY_PREFIX=f"intake-test-{uuid.uuid4().hex[:12]}",
    )
    return env


@pytest.mark.parametrize("missing", REQUIRED)
@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "intake.serve"],
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"],
    ],
    ids=["serve", "gunicorn.conf.py"],
)
def test_refuses_to_start_without_what_production_needs(tmp_path, missing, command):
    env = _production_environment("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    del env[missing]
    env["INTAKE_BIND"] = f"127.0.0.1:{free_port()}"
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert missing in lines[0]
    assert "Traceback" not in result.stderr


def test_refuses_a_database_that_is_not_postgresql(tmp_path):
    env = _production_environment(f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "intake.serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.postgres_only
@pytest.mark.skipif(BACKEND != "postgresql", reason="the production setup runs on PostgreSQL")
def test_creates_the_database_migrates_it_and_serves(tmp_path):
    name = f"intake_test_serve_{uuid.uuid4().hex[:12]}"
    url = pg_url(name)
    port = free_port()
    env = _production_environment(url, tmp_path)
    env.update(INTAKE_BIND=f"127.0.0.1:{port}", INTAKE_WORKERS="1", INTAKE_THREADS="1")
    stderr_path = tmp_path / "serve.stderr"
    with stderr_path.open("wb") as stderr:
        # Started from elsewhere: the command finds the repository itself.
        process = subprocess.Popen(
            [sys.executable, "-m", "intake.serve"], cwd=tmp_path, env=env, stderr=stderr
        )
    try:
        answer = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
                break
            except requests.RequestException:  # not up yet, or a busy machine
                time.sleep(0.3)
        log = stderr_path.read_text()
        assert answer is not None, log
        assert answer.json() == {"status": "ok", "database": "ok"}
        assert "created the database" in log
        # Production settings are in force (INTAKE_ENV defaults to production).
        login = requests.get(f"http://127.0.0.1:{port}/login", timeout=30)
        cookie = login.headers.get("Set-Cookie", "")
        assert cookie.startswith("__Host-session=") and "Secure" in cookie, cookie
        with psycopg.connect(PG_SERVER.rsplit("/", 1)[0] + f"/{name}") as conn:
            head = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert head is not None
        # gunicorn (this process, exec'd) runs with glibc's malloc settings,
        # which the workers inherit: memory stays flat (bench/README.md).
        environ = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
        assert b"MALLOC_ARENA_MAX=2" in environ
        assert b"MALLOC_MMAP_THRESHOLD_=131072" in environ
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        drop_database(url)


def _grants(role: str, database: str) -> list[str]:
    """The grants docs/architecture.md gives the app's role, as written there."""
    return [
        f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE ON acknowledgments, decisions, audit_events FROM {role}",
    ]


@pytest.mark.postgres_only
@pytest.mark.skipif(BACKEND != "postgresql", reason="the production setup runs on PostgreSQL")
def test_migrates_as_the_owner_and_serves_as_a_role_that_owns_nothing(tmp_path):
    name = f"intake_test_roles_{uuid.uuid4().hex[:12]}"
    role = f"intake_app_{uuid.uuid4().hex[:12]}"
    owner_url = pg_url(name)
    app_url = owner_url.replace("//postgres@", f"//{role}@", 1)
    server = PG_SERVER.rsplit("/", 1)[0]
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
    port = free_port()
    env = _production_environment(app_url, tmp_path)
    env.update(
        INTAKE_MIGRATION_DATABASE_URL=owner_url,
        INTAKE_BIND=f"127.0.0.1:{port}",
        INTAKE_WORKERS="1",
        INTAKE_THREADS="1",
        INTAKE_PASSWORD_HASHING="cheapest",
        # Plain HTTP here: production's Secure cookie would not come back.
        INTAKE_ENV="development",
    )
    stderr_path = tmp_path / "serve.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "intake.serve"], cwd=ROOT, env=env, stderr=stderr
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                requests.get(f"{base}/healthz", timeout=30)
                break
            except requests.RequestException:  # not up yet, or a busy machine
                time.sleep(0.3)
        with psycopg.connect(f"{server}/{name}", autocommit=True) as owner:
            # The tables belong to the owner that migrated them, not to the app's role.
            owners = owner.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
            assert owners == [("postgres",)], stderr_path.read_text()
            for statement in _grants(role, name):
                owner.execute(statement)
        # Serving through the role: a page, a failed sign-in (an audit event written).
        assert requests.get(f"{base}/healthz", timeout=30).json()["database"] == "ok"
        session = requests.Session()
        page = session.get(f"{base}/login", timeout=30)
        assert page.status_code == 200, stderr_path.read_text()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        failed = session.post(
            f"{base}/login",
            data={"email": "nobody@clinic.test", "password": "x" * 16, "csrf_token": token},
            timeout=30,
        )
        assert failed.status_code == 200, stderr_path.read_text()
        with psycopg.connect(app_url.replace("+psycopg", "")) as as_app:
            events = as_app.execute("SELECT count(*) FROM audit_events").fetchone()
            assert events is not None and events[0] >= 1
            # The role cannot rewrite history, nor drop what holds it.
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                as_app.execute("UPDATE audit_events SET action = action")
            as_app.rollback()
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                as_app.execute("DROP TRIGGER audit_events_append_only ON audit_events")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        drop_database(owner_url)
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            admin.execute(f"DROP ROLE IF EXISTS {role}")
