"""One unit of work per request, CLI command and job: the only place that commits.

Services add, lock, check and flush; they never commit or roll back. A request
commits once, after its view has answered (any status below 500), and rolls
back when the view failed; a command commits once when it returns and rolls
back when it raised. So a request's changes and their audit events land
together or not at all, and a check made inside a service still holds when
its change is committed.

On PostgreSQL a service locks the rows it is about to change
(``SELECT ... FOR UPDATE``, see :func:`locked`). SQLite has no row locks, so
every SQLite transaction starts with ``BEGIN IMMEDIATE``: one writer at a time
for the whole database, taken before the first read, so that two writers can
never both read the old state (SQLAlchemy's pysqlite dialect documentation,
"Serializable isolation / Savepoints / Transactional DDL").
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, g, request
from sqlalchemy import event

from intake import faults
from intake.extensions import db

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

logger = logging.getLogger(__name__)

# How long a SQLite writer waits for the one before it, in seconds.
SQLITE_BUSY_TIMEOUT = 30


def locked(statement: sa.Select[T]) -> sa.Select[T]:
    """Return ``statement`` as a locking read that also refreshes loaded objects.

    ``FOR UPDATE`` on PostgreSQL (ignored by SQLite, whose whole transaction
    already holds the write lock). ``populate_existing`` makes the row read now
    replace what the session loaded earlier in the request: a check must see
    the locked row, not a copy read before the lock.
    """
    return statement.with_for_update().execution_options(populate_existing=True)


def rollback_only() -> None:
    """Make this request end in a rollback whatever it answers."""
    g.unit_of_work_rollback = True


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once this request's or command's unit of work has committed.

    For work that must not happen unless the change is stored, and must not
    hold the transaction open while it waits (an email: the outbox row is
    committed first, then sent, then its outcome recorded in a transaction of
    its own). A rollback drops the callbacks. A callback that raises is
    logged and the others still run: the commit has happened, so the
    request's answer stands.
    """
    g.setdefault(_AFTER_COMMIT, []).append(callback)


_AFTER_COMMIT = "unit_of_work_after_commit"


def _run_after_commit() -> None:
    for callback in g.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            db.session.rollback()
            logger.exception("after-commit work failed")


def _finish_request(response: Response) -> Response:
    if request.endpoint == "static":
        return response
    if response.status_code >= 500 or g.pop("unit_of_work_rollback", False):
        db.session.rollback()
        g.pop(_AFTER_COMMIT, None)
    else:
        faults.pause(f"commit:{request.endpoint}:{request.method}")
        db.session.commit()
        faults.pause(f"committed:{request.endpoint}:{request.method}")
        _run_after_commit()
    return response


def transactional(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a CLI command or job: commit once when it returns, roll back when it raises."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = command(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            g.pop(_AFTER_COMMIT, None)
            raise
        db.session.commit()
        _run_after_commit()
        return result

    return run


def _sqlite_write_lock(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below open transactions, not pysqlite.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT * 1000}")

    @event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                _sqlite_write_lock(engine)
    app.after_request(_finish_request)
