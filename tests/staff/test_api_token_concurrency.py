"""API tokens under concurrent use, with real threads on real PostgreSQL connections."""

from __future__ import annotations

import threading

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from intake.api import tokens
from intake.audit import Action
from intake.extensions import db
from intake.models import ApiToken, AuditEvent
from tests.conftest import BACKEND, make_appointment
from tests.staff.test_api_tokens import make_token

pytestmark = [
    pytest.mark.committed,
    pytest.mark.postgres_only,
    pytest.mark.skipif(BACKEND != "postgresql", reason="needs real PostgreSQL connections"),
]

ROUNDS = 10


def _count(action: Action, token_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(
            AuditEvent.action == action.value, AuditEvent.target_id == token_id
        )
    ).scalar_one()


def _revoke_twice_at_once(app: Flask, token_id: int, admin: int) -> list[str]:
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def revoke() -> None:
        with app.app_context():
            start.wait()
            try:
                tokens.revoke(token_id, by=admin)
                db.session.commit()
                outcomes.append("revoked")
            except tokens.AlreadyRevokedError:
                db.session.rollback()
                outcomes.append("already")

    threads = [threading.Thread(target=revoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return outcomes


def test_two_admins_revoking_at_once_revoke_once(app: Flask):
    for _ in range(ROUNDS):
        with app.app_context():
            row, _token = make_token("read:intakes")
            admin, token_id = row.created_by_id, row.id
        assert sorted(_revoke_twice_at_once(app, token_id, admin)) == ["already", "revoked"]
        with app.app_context():
            assert _count(Action.API_TOKEN_REVOKED, token_id) == 1
            assert db.session.get(ApiToken, token_id).revoked_at is not None


def test_many_calls_at_once_are_each_audited_and_stamp_the_last_use(
    app: Flask, live_server_url: str
):
    with app.app_context():
        row, token = make_token("read:intakes")
        appointment_id = make_appointment()[0].id
        token_id = row.id
    url = f"{live_server_url}/api/v1/appointments/{appointment_id}/intake"
    start = threading.Barrier(8)
    statuses: list[int] = []

    def call() -> None:
        start.wait()
        for _ in range(3):
            response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 24
    with app.app_context():
        assert _count(Action.API_TOKEN_USED, token_id) == 24
        assert db.session.get(ApiToken, token_id).last_used_at is not None
