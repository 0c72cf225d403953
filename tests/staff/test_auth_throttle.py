"""After 10 failed sign-ins for one email within 15 minutes, further attempts answer 429.

Run against the in-memory storage and against the real Redis at 127.0.0.1:6379
(with a key prefix of its own), the shared storage several processes use.
"""

from __future__ import annotations

import time
import uuid
from http import HTTPStatus

import pytest
import redis
import sqlalchemy as sa

from intake import audit
from intake.extensions import db
from intake.models import AuditEvent, Role
from tests.conftest import make_user
from tests.staff.conftest import sign_in

pytestmark = pytest.mark.usefixtures("app_ctx")

REDIS_URL = "redis://127.0.0.1:6379/0"
WRONG = "this is not the password at all"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def app_config(request):
    if request.param == "memory":
        yield {"RATELIMIT_STORAGE_URI": "memory://"}
        return
    if not _redis_available():
        pytest.skip("no Redis server at 127.0.0.1:6379")
    prefix = f"intake-test-{uuid.uuid4().hex}"
    yield {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def fail(client_for, email: str, times: int) -> list[int]:
    return [sign_in(client_for(), email, WRONG).status_code for _ in range(times)]


def test_the_eleventh_attempt_is_refused_even_with_the_right_password(client_for):
    user = make_user(Role.CLINICIAN)
    assert fail(client_for, user.email, 10) == [HTTPStatus.OK] * 10
    refused = sign_in(client_for(), user.email)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert "Retry-After" in refused.headers
    # The email's case and spaces do not make a new count.
    assert sign_in(client_for(), f" {user.email.upper()}").status_code == 429
    throttled = db.session.execute(
        sa.select(sa.func.count()).where(AuditEvent.action == audit.Action.SIGN_IN_THROTTLED.value)
    ).scalar_one()
    assert throttled == 2


def test_successes_do_not_count_and_other_emails_are_not_affected(client_for):
    user = make_user(Role.CLINICIAN)
    other = make_user(Role.FRONT_DESK)
    for _ in range(12):
        assert sign_in(client_for(), user.email).status_code == HTTPStatus.FOUND
    fail(client_for, user.email, 10)
    assert sign_in(client_for(), user.email).status_code == 429
    assert sign_in(client_for(), other.email).status_code == HTTPStatus.FOUND


def test_unknown_emails_are_limited_too(client_for):
    assert fail(client_for, "nobody@clinic.test", 11)[-1] == 429


def test_the_page_is_never_refused_to_look_at(client_for):
    user = make_user(Role.CLINICIAN)
    fail(client_for, user.email, 10)
    assert client_for().get("/login").status_code == HTTPStatus.OK


@pytest.mark.parametrize("app_config", [{"INTAKE_SIGN_IN_WINDOW_SECONDS": 2}])
def test_attempts_work_again_once_the_window_has_passed(client_for):
    user = make_user(Role.CLINICIAN)
    fail(client_for, user.email, 10)
    assert sign_in(client_for(), user.email).status_code == 429
    time.sleep(2.2)
    assert sign_in(client_for(), user.email).status_code == HTTPStatus.FOUND
