"""Test fixtures: a real database (SQLite, or PostgreSQL when asked), a fresh app per test.

``INTAKE_TEST_DATABASE=postgresql`` runs the suite against PostgreSQL at
``INTAKE_TEST_PG_URL`` (default: 127.0.0.1:5432, user postgres); the default
is SQLite files. Databases made for a run are dropped at its end.

The schema is made once per run and xdist worker, by the migrations, in a
*template* database that no test touches. The worker's own database is a copy
of it. Each test then gets one of two kinds of database through ``app``:

Rolled back (the default)
    The test's app talks to the worker's database over one connection that
    holds an outer transaction, rolled back when the test ends: nothing a test
    writes is seen by the next one, and no table is emptied by hand (append-only
    tables will refuse DELETE). Every ``db.session`` -- the test's, each
    request's, each CLI command's -- joins that transaction with
    ``join_transaction_mode="create_savepoint"``, so the app's own ``commit()``
    and ``rollback()`` release or roll back a savepoint and behave as in
    production (SQLAlchemy, "Joining a Session into an External Transaction").
    Everything runs on one connection, so such a test must not use threads,
    other processes or a second connection (``db.engine`` *is* the test's
    connection here): ask for a committed database instead.

Committed: ``@pytest.mark.committed``
    The test's app gets a database of its own, copied from the migrated template
    (PostgreSQL: ``CREATE DATABASE ... TEMPLATE``; SQLite: a copy of the file),
    and dropped afterwards. Sessions commit for real, so other connections --
    threads with their own app context, other processes, the live server --
    see the rows. For race and fault tests and the browser tests. A test that
    asks for ``live_server_url`` gets a committed database without the marker.

    A race test, for example::

        @pytest.mark.committed
        def test_two_clinicians(app, live_server_url):
            with app.app_context():
                ...  # set up and commit
            # threads: each ``with app.app_context():`` has its own session and
            # connection; or HTTP requests to ``live_server_url`` (a threaded
            # server on this app), e.g. with ``requests`` or Playwright

Use pytest-flask's ``app`` and ``client`` fixtures, ``client_for`` for a second
browser, ``runner_for`` for the CLI, and ``app_ctx`` for a test that calls
services or reads the database itself.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask, current_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

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


def _sqlite_path(url: str) -> Path:
    return Path(sa.make_url(url).database or "")


def copy_database(template_url: str, directory: Path) -> str:
    """Copy the migrated template into a new database; return its URL."""
    if BACKEND == "postgresql":
        name = f"intake_test_{uuid.uuid4().hex[:16]}"
        template = sa.make_url(template_url).database
        # The template has no open connection (its engine was disposed after
        # migrating), which CREATE DATABASE ... TEMPLATE requires.
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return pg_url(name)
    path = directory / f"intake-{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copyfile(_sqlite_path(template_url), path)
    return f"sqlite:///{path}"


def drop_database(url: str) -> None:
    if BACKEND == "postgresql":
        _pg_admin(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')
    else:
        _sqlite_path(url).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def template_database_url(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[str]:
    """Make this worker's schema through the migrations, in a database only copied from."""
    if BACKEND == "postgresql":
        name = f"intake_template_{uuid.uuid4().hex[:12]}_{worker_id}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = pg_url(name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'intake.sqlite3'}"
    app = create_app(_test_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def database_url(
    template_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """This worker's database for rolled-back tests: a copy of the template."""
    url = copy_database(template_database_url, tmp_path_factory.mktemp("db"))
    yield url
    drop_database(url)


def _test_config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "INTAKE_AUDIT_KEY": "test-audit-key",
        "INTAKE_PASSWORD_HASHING": "cheapest",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Said outright: Flask-Limiter's init_app takes the default from the
        # shared limiter object, so one app made with limits off would leave
        # them off for every app made after it in the same worker.
        "RATELIMIT_ENABLED": True,
        "WTF_CSRF_ENABLED": False,
        "INTAKE_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Per-test overrides; a test may parametrize or override this fixture."""
    return {}


def needs_committed_database(request: pytest.FixtureRequest) -> bool:
    return (
        request.node.get_closest_marker("committed") is not None
        or "live_server_url" in request.fixturenames
    )


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    database_url: str,
    template_database_url: str,
    tmp_path: Path,
    app_config: dict[str, Any],
) -> Iterator[Flask]:
    """The app under test, on a rolled-back transaction or a committed copy (see above)."""
    committed = needs_committed_database(request)
    url = copy_database(template_database_url, tmp_path) if committed else database_url
    config = _test_config(url, tmp_path)
    config.update(app_config)
    app = create_app(config)
    try:
        if committed:
            yield app
        else:
            with _rolled_back_at_the_end(app):
                yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if committed:
            drop_database(url)


@contextmanager
def _rolled_back_at_the_end(app: Flask) -> Iterator[None]:
    """Run every session of ``app`` inside one outer transaction, rolled back at the end."""
    with app.app_context():
        # Flask-SQLAlchemy picks a session's bind from this per-app mapping;
        # putting the connection there binds every session of this app to it
        # (and leaves other apps alone). Its maintainers' suggested pattern:
        # pallets-eco/flask-sqlalchemy#1171.
        engines: dict[str | None, Any] = db.engines  # type: ignore[assignment]
    engine = engines[None]
    if engine.dialect.name == "sqlite":
        _give_sqlite_real_transactions(engine)
    connection = engine.connect()
    outer = connection.begin()
    factory = db.session.session_factory
    saved = dict(factory.kw)
    factory.configure(join_transaction_mode="create_savepoint")
    engines[None] = connection
    try:
        yield
    finally:
        engines[None] = engine
        factory.kw.clear()
        factory.kw.update(saved)
        outer.rollback()
        connection.close()


def _give_sqlite_real_transactions(engine: sa.Engine) -> None:
    """Make BEGIN, SAVEPOINT and ROLLBACK mean what they say on pysqlite.

    pysqlite defers BEGIN to the first INSERT, so the outer transaction would
    not exist and the first savepoint's release would commit (SQLAlchemy's
    pysqlite docs, "Serializable isolation / Savepoints / Transactional DDL").
    When the app itself begins transactions on SQLite (``BEGIN IMMEDIATE`` from
    its own ``begin`` listener, registered earlier and so run first), the
    transaction is already open and this listener leaves it be.
    """

    @sa.event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN")


@pytest.fixture(autouse=True)
def _push_request_context() -> None:
    """Replace pytest-flask's autouse fixture that keeps a request context pushed.

    With it, every test-client request reused one app context, and so one
    database session, which production never does (Flask-SQLAlchemy's docs
    advise against it). Tests push a context explicitly where they need one.
    """


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Replace pytest-flask's ``client``, which is used inside ``with app.test_client()``.

    That keeps each request's context pushed until the next request, and any
    other client's request made meanwhile (``client_for()``) then ran inside
    it: one ``g``, so Flask-Login's cached user leaked from one browser into
    another's request. Each request here gets its own context, as in production.
    """
    return app.test_client()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    """Push an app context for the test's own service calls and queries."""
    with app.app_context():
        yield


# -- Live server -----------------------------------------------------------


class _LiveServer(ThreadedWSGIServer):
    # Request threads are joined by server_close(), so a response still being
    # sent when the test ends finishes (and releases its files) inside that
    # test, not later in whichever test runs next.
    daemon_threads = False


class _LiveRequestHandler(WSGIRequestHandler):
    # A socket the browser opened but never used cannot hold up the join.
    timeout = 10


def _bodies_closed_before_sending(wsgi_app: Callable[..., Iterable[bytes]]) -> Any:
    """Wrap ``wsgi_app`` so each response is read and closed before the server sends it.

    Werkzeug's server calls the response's ``close()`` only after draining the
    request socket, and when the client has reset the connection (Chromium
    does, closing a page or context while a response is still arriving) the
    drain raises ``ConnectionResetError`` first: ``close()`` is skipped and the
    file behind a static response (``send_file``'s wrapper) is left to the
    garbage collector, which reports it unclosed as the next test runs. Reading
    the body here and closing it in ``finally`` releases the file whatever the
    socket does afterwards. Test pages are small, so buffering costs nothing.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        iterable = wsgi_app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    return app


@pytest.fixture
def live_server_url(app: Flask) -> Iterator[str]:
    """Serve ``app`` (on a committed database) on a free loopback port; yield its base URL."""
    server = _LiveServer(
        "127.0.0.1", 0, _bodies_closed_before_sending(app), handler=_LiveRequestHandler
    )
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["INTAKE_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


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
