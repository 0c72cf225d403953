from __future__ import annotations

import uuid
from http import HTTPStatus

import psycopg
import pytest
from flask import Flask

from intake import create_app
from intake.extensions import db
from tests.conftest import PG_SERVER, pg_url


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.json == {"status": "ok", "database": "ok"}


def _app_on(url: str, tmp_path) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})


def test_healthz_503_when_postgres_database_is_gone(tmp_path):
    """A real PostgreSQL database that answered once and then was dropped."""
    name = f"intake_health_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    app = _app_on(pg_url(name), tmp_path)
    client = app.test_client()
    try:
        assert client.get("/healthz").status_code == HTTPStatus.OK
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        response = client.get("/healthz")
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert response.json == {"status": "error", "database": "error"}
    finally:
        with app.app_context():
            db.engine.dispose()
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_healthz_503_when_postgres_server_is_unreachable(tmp_path):
    # Port 1 on loopback: nothing listens there, so every connect is refused.
    app = _app_on("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json["database"] == "error"
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", ["/healthz"])
def test_healthz_is_not_cached(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"
