"""Unbound extensions, bound to an app in :func:`intake.create_app`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask, request
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from intake import ratelimit_storage  # noqa: F401 - registers intake-memory://

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# Email to patients (intake.mail); its settings come from INTAKE_SMTP_* (intake.config).
mail = Mail()
# Fragments of staff pages that never change once made (a submitted intake's
# flags explained), kept per process: see intake.review.views._flag_lists. Only
# ever in this process's memory, never in Redis: they hold screening answers.
fragments = Cache(
    config={
        "CACHE_TYPE": "SimpleCache",
        "CACHE_THRESHOLD": 2000,
        "CACHE_DEFAULT_TIMEOUT": 3600,
    }
)
# Storage comes from RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set), so
# every process behind the load balancer shares one count.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def client_address() -> str:
    """Return the client address as the rate limiter sees it."""
    return request.remote_addr or "unknown"


# -- Migrations, loaded only for the ``db`` commands -------------------------

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Batch mode lets later migrations alter tables on SQLite too.
MIGRATE_OPTIONS: dict[str, Any] = {"render_as_batch": True, "compare_type": True}


class _LazyMigrateConfig:
    """Stands in ``app.extensions["migrate"]`` until something uses Flask-Migrate.

    Importing Flask-Migrate imports Alembic, a third of the time every
    ``flask`` command (and every gunicorn worker) took to start, though only
    ``db`` commands and the tests' ``upgrade()`` use it. The first attribute
    read sets Flask-Migrate up on the app for real and answers from that.
    """

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        Migrate(self._app, db, directory=str(MIGRATIONS), **MIGRATE_OPTIONS)
        return getattr(self._app.extensions["migrate"], name)


class _DbCommands(click.Group):
    """Flask-Migrate's ``db`` group, imported when a ``db`` command runs.

    Listing the app's commands (``flask --help``) reads only this group's
    name and help; running or describing it makes the context of the real
    group, whose own options and callback then run as they always did.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # Its commands read app.extensions["migrate"], which sets itself up.
        from flask_migrate.cli import db as group

        context: click.Context = group.make_context(info_name, args, parent, **extra)
        return context


def init_migrations(app: Flask) -> None:
    """Give the app Flask-Migrate's ``db`` commands and config, importing it on first use."""
    app.extensions["migrate"] = _LazyMigrateConfig(app)
    app.cli.add_command(_DbCommands("db", help="Perform database migrations."))
