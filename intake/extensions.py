"""Unbound extensions, bound to an app in :func:`intake.create_app`."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
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
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# Storage comes from RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set), so
# every process behind the load balancer shares one count.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def client_address() -> str:
    """Return the client address as the rate limiter sees it."""
    return request.remote_addr or "unknown"
