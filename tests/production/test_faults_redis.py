"""Redis stopped: sign-in and the patient flow keep working, and the limits still hold.

The app's rate-limit storage is a private ``redis-server`` (``private_services``)
that the test kills. Route limits then go on in the process's memory
(Flask-Limiter's in-memory fallback); the sign-in counts use their own
in-process fallback (``intake.ratelimit_storage.StorageFallback``, logged once)
and the per-account count kept in the database, so the 11th failed sign-in
for one email is refused with or without Redis, counting failures from
before Redis went away.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from intake.extensions import db
from intake.models import Role, SignInFailure, utcnow
from intake.screening import CURRENT
from tests.conftest import make_appointment, make_user
from tests.integrity.conftest import step_data
from tests.production.private_services import PrivateRedis, redis_available
from tests.staff.conftest import sign_in

pytestmark = [
    pytest.mark.skipif(not redis_available(), reason="no redis-server on this machine"),
    pytest.mark.usefixtures("app_ctx"),
]

WRONG = "this is not the password at all"
DOB = "1979-11-03"


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    yield server
    server.destroy()


@pytest.fixture
def app_config(private_redis: PrivateRedis) -> Iterator[dict[str, Any]]:
    if private_redis.process is None:
        private_redis.start()
    yield {
        "RATELIMIT_STORAGE_URI": private_redis.url,
        "RATELIMIT_KEY_PREFIX": f"intake-test-{uuid.uuid4().hex}",
    }


def _fallback_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "fallback" in r.getMessage()]


def test_sign_in_and_the_patient_flow_work_with_redis_stopped(
    client_for: Any, private_redis: PrivateRedis
) -> None:
    clinician = make_user(Role.CLINICIAN)
    _appointment, token = make_appointment(dob=DOB)
    private_redis.stop()

    assert sign_in(client_for(), clinician.email).status_code == HTTPStatus.FOUND
    patient: FlaskClient = client_for()
    assert patient.get(f"/i/{token}").status_code == HTTPStatus.OK
    confirmed = patient.post(f"/i/{token}", data={"date_of_birth": DOB})
    assert confirmed.status_code == HTTPStatus.SEE_OTHER
    for step in CURRENT.steps:
        saved = patient.post(f"/intake/step/{step.id}", data=step_data(step.id, {}))
        assert saved.status_code == HTTPStatus.SEE_OTHER


def test_the_eleventh_failed_sign_in_is_refused_with_redis_stopped_and_logged_once(
    client_for: Any, private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    clinician = make_user(Role.CLINICIAN)
    caplog.set_level(logging.INFO)
    # Some failures while Redis is up: they still count once it is gone.
    before = [sign_in(client_for(), clinician.email, WRONG).status_code for _ in range(4)]
    assert before == [HTTPStatus.OK] * 4
    assert not _fallback_lines(caplog)
    private_redis.stop()

    during = [sign_in(client_for(), clinician.email, WRONG).status_code for _ in range(6)]
    assert during == [HTTPStatus.OK] * 6
    # The 11th, even with the right password.
    assert sign_in(client_for(), clinician.email).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert len(_fallback_lines(caplog)) == 1


def test_the_database_count_refuses_the_eleventh_where_memory_alone_would_not(
    app: Any, client_for: Any, private_redis: PrivateRedis
) -> None:
    """Another process's failures count: the database holds them all, memory only its own."""
    clinician = make_user(Role.CLINICIAN)
    private_redis.stop()
    for _ in range(10):
        assert sign_in(client_for(), clinician.email, WRONG).status_code == HTTPStatus.OK
    # This process forgets its in-process counts (as a second process never had them).
    app.extensions.pop("intake_sign_in_fallback")
    assert sign_in(client_for(), clinician.email).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_stored_failures_older_than_the_window_are_swept_by_the_next_failure(
    client_for: Any,
) -> None:
    db.session.add(SignInFailure(account="0" * 64, failed_at=utcnow() - dt.timedelta(hours=1)))
    db.session.commit()
    assert sign_in(client_for(), "nobody@clinic.test", WRONG).status_code == HTTPStatus.OK
    # By account, not id: SQLite may give the new row the old one's rowid.
    accounts = db.session.scalars(sa.select(SignInFailure.account)).all()
    assert len(accounts) == 1 and accounts[0] != "0" * 64
