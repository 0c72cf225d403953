"""A staff member's own account: password change and the authenticator (TOTP) second factor."""

from __future__ import annotations

import re
import time
from http import HTTPStatus

import pyotp
import pytest
import sqlalchemy as sa

from intake import audit
from intake.auth import totp
from intake.extensions import db
from intake.models import AuditEvent, Role, User
from tests.conftest import STAFF_PASSWORD, make_user
from tests.staff.conftest import login_as, sign_in

# The plain key, in the set-up page's read-only field.
SETUP_KEY = r'id="setup-key-plain"[^>]*value="([A-Z2-7]+)"'

pytestmark = pytest.mark.usefixtures("app_ctx")

NEW = "harbour pepper glacier 9 tundra"


def reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def enrol(client, user) -> str:
    """Enrol an authenticator through the pages; return its secret."""
    html = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html
    secret = re.search(SETUP_KEY, html).group(1).replace(" ", "")
    response = client.post(
        "/account/two-factor",
        data={"code": pyotp.TOTP(secret).now(), "password": STAFF_PASSWORD},
    )
    # Post/redirect/get: the page it leads to shows the recovery codes, this once.
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == "/account/recovery-codes"
    shown = client.get("/account/recovery-codes")
    assert shown.status_code == HTTPStatus.OK
    assert "Your recovery codes" in shown.get_data(as_text=True)
    assert len(re.findall('class="recovery-code"', shown.get_data(as_text=True))) == 10
    # A reload shows them no more.
    again = client.get("/account/recovery-codes").get_data(as_text=True)
    assert 'class="recovery-code"' not in again
    stored = reload(user.id).totp_secret
    assert stored != secret  # encrypted at rest
    assert totp.decrypt(stored) == secret
    return secret


# -- Password change ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"current_password": "wrong wrong wrong wrong", "new_password": NEW, "confirm": NEW},
            "That is not your current password.",
        ),
        (
            {"current_password": STAFF_PASSWORD, "new_password": NEW, "confirm": NEW + "x"},
            "The two new passwords are not the same.",
        ),
        (
            {"current_password": STAFF_PASSWORD, "new_password": "short", "confirm": "short"},
            "at least 15 characters",
        ),
        (
            {
                "current_password": STAFF_PASSWORD,
                "new_password": STAFF_PASSWORD,
                "confirm": STAFF_PASSWORD,
            },
            "must be different",
        ),
    ],
)
def test_password_change_explains_what_is_wrong(client, data, message):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    response = client.post("/account/password", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == HTTPStatus.OK
    assert message in html
    assert NEW not in html  # passwords are never sent back
    assert reload(user.id).password_hash == user.password_hash


def test_password_change_works_and_is_audited(client, client_for):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    response = client.post(
        "/account/password",
        data={"current_password": STAFF_PASSWORD, "new_password": NEW, "confirm": NEW},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert sign_in(client_for(), user.email, NEW).status_code == HTTPStatus.FOUND
    assert sign_in(client_for(), user.email, STAFF_PASSWORD).status_code == HTTPStatus.OK
    assert (
        db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == audit.Action.PASSWORD_CHANGED.value)
        )
        .scalar_one()
        .actor_id
        == user.id
    )


# -- Authenticator (TOTP) -------------------------------------------------------------


def test_enrolment_needs_a_correct_code(client):
    user = make_user(Role.FRONT_DESK)
    login_as(client, user)
    client.get("/account/two-factor")
    response = client.post(
        "/account/two-factor", data={"code": "000000", "password": STAFF_PASSWORD}
    )
    assert response.status_code == HTTPStatus.OK
    assert "That code did not match" in response.get_data(as_text=True)
    assert reload(user.id).totp_secret is None


def test_enrolled_staff_are_asked_for_a_code_at_sign_in(client, client_for):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    secret = enrol(client, user)

    browser = client_for()
    response = sign_in(browser, user.email, next="/account")
    assert response.headers["Location"] == "/login/code"
    # Password alone is not a session.
    assert browser.get("/account").status_code == HTTPStatus.FOUND
    page = browser.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    wrong = browser.post("/login/code", data={"code": "123456"})
    assert "That code did not work" in wrong.get_data(as_text=True)
    # The enrolment used this time step's code, so take the next step's (a
    # phone clock a little ahead is accepted). Apps show "123 456": spaces are fine.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    spaced = f"{code[:3]} {code[3:]}"
    response = browser.post("/login/code", data={"code": spaced})
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == "/account"
    assert browser.get("/account").status_code == HTTPStatus.OK
    factors = (
        db.session.execute(
            sa.select(AuditEvent.detail).where(AuditEvent.action == audit.Action.SIGN_IN.value)
        )
        .scalars()
        .all()
    )
    assert {"factor": "totp"} in factors


def test_a_code_is_accepted_only_once(client, client_for):
    user = make_user(Role.CLINICIAN)
    secret = pyotp.random_base32()
    stored = reload(user.id)
    stored.totp_secret = secret
    db.session.commit()
    totp = pyotp.TOTP(secret)
    code = totp.now()

    first = client_for()
    sign_in(first, user.email)
    assert first.post("/login/code", data={"code": code}).status_code == HTTPStatus.FOUND
    replay = client_for()
    sign_in(replay, user.email)
    response = replay.post("/login/code", data={"code": code})
    assert response.status_code == HTTPStatus.OK
    assert replay.get("/account").status_code == HTTPStatus.FOUND


def test_code_failures_count_towards_the_sign_in_limit(client_for):
    user = make_user(Role.CLINICIAN)
    stored = reload(user.id)
    stored.totp_secret = pyotp.random_base32()
    db.session.commit()
    browser = client_for()
    sign_in(browser, user.email)
    statuses = [browser.post("/login/code", data={"code": "000000"}).status_code for _ in range(11)]
    assert statuses[:10] == [HTTPStatus.OK] * 10
    assert statuses[10] == HTTPStatus.TOO_MANY_REQUESTS
    # The password step for the same email is refused as well.
    assert sign_in(client_for(), user.email).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_the_code_step_without_a_password_goes_back_to_sign_in(client):
    response = client.get("/login/code")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == "/login"


def test_removing_the_authenticator_needs_the_password(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    enrol(client, user)
    client.post("/account/two-factor/remove", data={"password": "wrong wrong wrong"})
    assert reload(user.id).totp_secret is not None
    client.post("/account/two-factor/remove", data={"password": STAFF_PASSWORD})
    assert reload(user.id).totp_secret is None


@pytest.mark.parametrize("app_config", [{"INTAKE_REQUIRE_ADMIN_TOTP": True}])
def test_the_setting_makes_the_authenticator_compulsory_for_admins(client, client_for):
    admin = make_user(Role.ADMIN)
    clinician = make_user(Role.CLINICIAN)
    login_as(client, admin)
    response = client.get("/admin/users")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == "/account/two-factor"
    assert "requires your role to use an authenticator" in client.get(
        "/account/two-factor"
    ).get_data(as_text=True)
    # Other roles are not forced.
    other = client_for()
    login_as(other, clinician)
    assert other.get("/account").status_code == HTTPStatus.OK
    # Once enrolled the admin goes on, and cannot remove it.
    enrol(client, admin)
    assert client.get("/admin/users").status_code == HTTPStatus.OK
    client.post("/account/two-factor/remove", data={"password": STAFF_PASSWORD})
    assert reload(admin.id).totp_secret is not None


def test_the_secret_being_enrolled_is_not_readable_from_the_cookie(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(SETUP_KEY, html).group(1).replace(" ", "")
    with client.session_transaction() as session:
        assert secret not in repr(dict(session))
    # Reloading the page starts over with a new secret.
    again = client.get("/account/two-factor").get_data(as_text=True)
    assert secret not in again
