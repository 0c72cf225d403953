"""Issue 11, finding 1: one valid code, six pending sign-ins sent at once, one sign-in.

Real threads against the live server on a committed database (SQLite or
PostgreSQL), each request its own transaction; the check is over the stored
audit events as well as the answers.
"""

from __future__ import annotations

import time

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from intake import audit
from intake.extensions import db
from intake.models import AuditEvent, Role, User
from tests.conftest import STAFF_PASSWORD, make_user
from tests.integrity.conftest import Browser, at_once

PENDING = 6


@pytest.fixture
def app_config():
    # Each round's five refused codes count as failures; three rounds would
    # reach the usual limit of ten, which is tested elsewhere.
    return {"INTAKE_SIGN_IN_MAX_FAILURES": 100}


def _sign_ins(app: Flask, user_id: int) -> int:
    with app.app_context():
        return db.session.execute(
            sa.select(sa.func.count()).where(
                AuditEvent.action == audit.Action.SIGN_IN.value, AuditEvent.target_id == user_id
            )
        ).scalar_one()


def test_one_code_signs_in_one_of_six_concurrent_pending_sign_ins(app, live_server_url):
    with app.app_context():
        user = make_user(Role.CLINICIAN)
        secret = pyotp.random_base32()
        db.session.get(User, user.id).totp_secret = secret
        db.session.commit()
        user_id, email = user.id, user.email
    totp = pyotp.TOTP(secret)
    # Three rounds, each with the code of a later time step (all within the
    # accepted window), so each round has a code not used before.
    for round_number, offset in enumerate((-30, 0, 30), start=1):
        browsers = [Browser(live_server_url) for _ in range(PENDING)]
        for browser in browsers:
            response = browser.post("/login", {"email": email, "password": STAFF_PASSWORD})
            assert response.headers.get("Location", "").endswith("/login/code")
        code = totp.at(time.time() + offset)
        answers = at_once(
            *(lambda b=b, c=code: b.post("/login/code", {"code": c}) for b in browsers)
        )
        statuses = [getattr(a, "status_code", a) for a in answers]
        assert sorted(statuses) == [200] * (PENDING - 1) + [302], statuses
        assert _sign_ins(app, user_id) == round_number
        for browser in browsers:
            browser.close()
