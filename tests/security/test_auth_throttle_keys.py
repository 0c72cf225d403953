"""Issue 11, finding 1: the sign-in limits key on what is attacked, not on what the form says.

Run against the thread-safe in-process storage and against the real Redis at
127.0.0.1:6379 (own key prefix), the storage shared by several processes.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pyotp
import pytest
import redis

from intake.extensions import db
from intake.models import Role, User
from tests.conftest import STAFF_PASSWORD, make_user
from tests.staff.conftest import _fresh_g_per_request, sign_in  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.usefixtures("app_ctx")

REDIS_URL = "redis://127.0.0.1:6379/3"
WRONG = "this is not the password at all"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def app_config(request):
    if request.param == "memory":
        yield {}
        return
    if not _redis_available():
        pytest.fail("no Redis server at 127.0.0.1:6379")
    prefix = f"intake-sec-{uuid.uuid4().hex}"
    yield {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*{prefix}*"))
    assert keys, "the counts were not kept in Redis"
    client.delete(*keys)
    client.close()


def with_authenticator(user: User) -> str:
    secret = pyotp.random_base32()
    db.session.get(User, user.id).totp_secret = secret  # a secret from before encryption
    db.session.commit()
    return secret


def test_the_code_step_is_limited_per_account_whatever_email_the_form_names(client_for):
    user = make_user(Role.CLINICIAN)
    with_authenticator(user)
    browser = client_for()
    assert sign_in(browser, user.email).headers["Location"] == "/login/code"
    statuses = [
        browser.post(
            "/login/code", data={"code": "000000", "email": f"decoy{n}@clinic.test"}
        ).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [HTTPStatus.OK] * 10
    assert statuses[10] == HTTPStatus.TOO_MANY_REQUESTS


def test_a_new_pending_sign_in_does_not_give_fresh_code_guesses(client_for):
    user = make_user(Role.CLINICIAN)
    with_authenticator(user)
    for _ in range(10):
        browser = client_for()
        sign_in(browser, user.email)
        assert browser.post("/login/code", data={"code": "000000"}).status_code == HTTPStatus.OK
    browser = client_for()
    # The account is at its limit: even the right password is refused now.
    assert sign_in(browser, user.email).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_json_sign_ins_are_limited_per_account_like_forms(client_for):
    target = make_user(Role.CLINICIAN)
    bystander = make_user(Role.CLINICIAN)
    for _ in range(10):
        response = client_for().post("/login", json={"email": target.email, "password": WRONG})
        assert response.status_code == HTTPStatus.OK
    refused = client_for().post("/login", json={"email": target.email, "password": STAFF_PASSWORD})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # Another account's JSON sign-in is not caught by the first one's failures.
    other = client_for().post("/login", json={"email": bystander.email, "password": STAFF_PASSWORD})
    assert other.status_code == HTTPStatus.FOUND


@pytest.mark.parametrize("limit", [4])
def test_the_password_step_is_limited_per_client_address(app, client_for, limit):
    app.config["INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES"] = limit
    user = make_user(Role.CLINICIAN)
    # Spraying one guess each at many accounts from one address.
    for n in range(limit):
        assert sign_in(client_for(), f"someone{n}@clinic.test", WRONG).status_code == HTTPStatus.OK
    assert sign_in(client_for(), user.email).status_code == HTTPStatus.TOO_MANY_REQUESTS
