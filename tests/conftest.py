"""Test fixtures: a real database per run (SQLite, or PostgreSQL when asked), a fresh app per test.

``INTAKE_TEST_DATABASE=postgresql`` runs the suite against a new database on
the PostgreSQL server at ``INTAKE_TEST_PG_URL`` (default: 127.0.0.1:5432, user
postgres), created for this run and dropped afterwards. The schema is made by
the migrations, once per run (per xdist worker); every test then starts from
empty tables.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask, current_app
from flask.testing import FlaskClient
from flask_migrate import upgrade

from intake import create_app
from intake.appointments import DuplicateBookingError, book, parse_booking
from intake.extensions import db
from intake.models import Appointment, Role, User, utcnow
from intake.screening import QUESTIONS
from intake.users import create_user

PG_SERVER = os.environ.get("INTAKE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKEND = os.environ.get("INTAKE_TEST_DATABASE", "sqlite")
STAFF_PASSWORD = "correct horse battery staple 42"


def pytest_report_header() -> str:
    return f"intake test database: {BACKEND}"


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql)


def pg_url(name: str) -> str:
    base = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """Make this run's database and its schema, through the migrations."""
    if BACKEND == "postgresql":
        name = f"intake_test_{uuid.uuid4().hex[:12]}_{worker_id}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = pg_url(name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'intake.sqlite3'}"
    app = create_app(_test_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if BACKEND == "postgresql":
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _test_config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "INTAKE_PASSWORD_HASHING": "cheapest",
        "RATELIMIT_STORAGE_URI": "memory://",
        "WTF_CSRF_ENABLED": False,
        "INTAKE_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Per-test overrides; a test may parametrize or override this fixture."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    config = _test_config(database_url, tmp_path)
    config.update(app_config)
    app = create_app(config)
    yield app
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


def _empty_all_tables() -> None:
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # As a superuser: the append-only triggers refuse DELETE otherwise.
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _push_request_context() -> None:
    """Replace pytest-flask's autouse fixture that keeps a request context pushed.

    With it, every test-client request reused one app context, and so one
    database session, which production never does (Flask-SQLAlchemy's docs
    advise against it). Tests push a context explicitly where they need one.
    """


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


# -- Factories -------------------------------------------------------------


def all_no() -> dict[str, str]:
    return {q.id: "no" for q in QUESTIONS}


def make_user(role: Role, email: str | None = None, password: str = STAFF_PASSWORD) -> User:
    """Create and commit a staff account (call inside an app context)."""
    user = create_user(email or f"{role.value}-{uuid.uuid4().hex[:6]}@clinic.test", role, password)
    db.session.commit()
    return user


def make_appointment(
    *,
    first_name: str = "Robin",
    last_name: str = "Example",
    dob: str = "1990-05-17",
    starts_in: dt.timedelta = dt.timedelta(days=1),
    email: str | None = None,
) -> tuple[Appointment, str]:
    """Book and commit an appointment; return it with its intake link token."""
    tz = current_app.config["INTAKE_TZ"]
    # The same person booked twice in one minute is a duplicate the database
    # refuses: the factory moves the second booking a minute on.
    for minutes in range(60):
        at = (utcnow() + starts_in + dt.timedelta(minutes=minutes)).astimezone(tz)
        values = {"first_name": first_name, "last_name": last_name, "dob": dob, "email": email}
        booking = parse_booking(values | {"at": at.strftime("%Y-%m-%dT%H:%M")}, tz=tz)
        try:
            appointment, _link, token = book(booking)
        except DuplicateBookingError:
            continue
        db.session.commit()
        return appointment, token
    raise AssertionError("no free minute to book")


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, "page has no csrf_token field"
    return match.group(1)


def count(model: type[Any]) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.fixture
def runner_for(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def client_for(app: Flask) -> Any:
    """Return a factory of fresh clients (a new browser, with no cookies)."""

    def make() -> FlaskClient:
        return app.test_client()

    return make


def bypass_append_only() -> None:
    """Let this transaction change append-only rows, as a database superuser could.

    For tests that fake history or tamper with it; the app never does this.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
