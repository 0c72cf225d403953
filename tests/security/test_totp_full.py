"""Issue 11, finding 6: enrolment asks for the password, secrets are encrypted, recovery codes,
key rotation, and a second factor compulsory for every staff role when the clinic says so."""

from __future__ import annotations

import re
import time
from http import HTTPStatus

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from intake import audit
from intake.extensions import db
from intake.models import AuditEvent, Role, User
from tests.conftest import STAFF_PASSWORD, make_user
from tests.staff.conftest import _fresh_g_per_request, login_as, sign_in  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_ctx")

# The plain key, in the set-up page's read-only field.
SECRET_RE = re.compile(r'id="setup-key-plain"[^>]*value="([A-Z2-7]+)"')
CODE_RE = re.compile(r'<code class="recovery-code">([a-z2-7-]+)</code>')


def reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def enrol(client, user, password: str = STAFF_PASSWORD):
    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    # A success redirects to the page that shows the recovery codes once.
    response = client.post(
        "/account/two-factor",
        data={"code": pyotp.TOTP(secret).now(), "password": password},
        follow_redirects=True,
    )
    return secret, response


def count(action: audit.Action) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(AuditEvent.action == action.value)
    ).scalar_one()


def test_enrolment_asks_for_the_password(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    _secret, response = enrol(client, user, password="not my password at all")
    assert response.status_code == HTTPStatus.OK
    assert "That is not your password." in response.get_data(as_text=True)
    assert reload(user.id).totp_secret is None


def test_the_secret_is_encrypted_at_rest(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    secret, _response = enrol(client, user)
    stored = reload(user.id).totp_secret
    assert stored is not None
    assert secret not in stored
    keys = [
        Fernet(key.encode()) for key in client.application.config["INTAKE_TOTP_KEYS"].split(",")
    ]
    assert keys[0].decrypt(stored.encode()).decode() == secret


def test_ten_recovery_codes_each_work_once_and_are_audited(client, client_for):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    _secret, response = enrol(client, user)
    codes = CODE_RE.findall(response.get_data(as_text=True))
    assert len(set(codes)) == 10
    # Shown once: the account page shows how many are left, never the codes.
    account = client.get("/account").get_data(as_text=True)
    assert codes[0] not in account
    assert "Unused recovery codes: 10" in account

    browser = client_for()
    assert sign_in(browser, user.email).headers["Location"] == "/login/code"
    used = browser.post("/login/code", data={"code": codes[0].upper().replace("-", " ")})
    assert used.status_code == HTTPStatus.FOUND
    assert browser.get("/account").status_code == HTTPStatus.OK
    assert count(audit.Action.RECOVERY_CODE_USED) == 1

    again = client_for()
    sign_in(again, user.email)
    assert again.post("/login/code", data={"code": codes[0]}).status_code == HTTPStatus.OK
    assert again.get("/account").status_code == HTTPStatus.FOUND


def test_regenerating_recovery_codes_asks_for_the_password_and_replaces_them(client, client_for):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    _secret, response = enrol(client, user)
    old = CODE_RE.findall(response.get_data(as_text=True))
    refused = client.post("/account/recovery-codes", data={"password": "wrong wrong wrong wrong"})
    assert refused.status_code == HTTPStatus.FOUND
    made = client.post(
        "/account/recovery-codes", data={"password": STAFF_PASSWORD}, follow_redirects=True
    )
    new = CODE_RE.findall(made.get_data(as_text=True))
    assert len(new) == 10
    assert not set(new) & set(old)
    browser = client_for()
    sign_in(browser, user.email)
    assert browser.post("/login/code", data={"code": old[1]}).status_code == HTTPStatus.OK
    assert browser.post("/login/code", data={"code": new[1]}).status_code == HTTPStatus.FOUND


def test_rotate_keys_re_encrypts_with_the_first_key(app, client, client_for, runner_for):
    user = make_user(Role.CLINICIAN)
    legacy = make_user(Role.FRONT_DESK)
    login_as(client, user)
    secret, _response = enrol(client, user)
    clear = pyotp.random_base32()
    reload(legacy.id).totp_secret = clear  # stored before encryption existed
    db.session.commit()
    old_key = app.config["INTAKE_TOTP_KEYS"]
    new_key = Fernet.generate_key().decode()
    app.config["INTAKE_TOTP_KEYS"] = f"{new_key},{old_key}"
    result = runner_for.invoke(args=["totp", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 authenticator secrets" in result.output
    assert Fernet(new_key.encode()).decrypt(reload(user.id).totp_secret.encode()).decode() == secret
    assert (
        Fernet(new_key.encode()).decrypt(reload(legacy.id).totp_secret.encode()).decode() == clear
    )
    # The old key can go now: sign-in still works.
    app.config["INTAKE_TOTP_KEYS"] = new_key
    browser = client_for()
    sign_in(browser, user.email)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert browser.post("/login/code", data={"code": code}).status_code == HTTPStatus.FOUND
    assert count(audit.Action.TOTP_KEYS_ROTATED) == 1


@pytest.mark.parametrize("app_config", [{"INTAKE_REQUIRE_STAFF_TOTP": True}])
@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK, Role.ADMIN])
def test_the_staff_setting_makes_a_second_factor_compulsory_for_every_role(client, role):
    user = make_user(role)
    login_as(client, user)
    response = client.get("/staff/")
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/account").headers["Location"] == "/account/two-factor"
    enrol(client, user)
    assert client.get("/account").status_code == HTTPStatus.OK
    client.post("/account/two-factor/remove", data={"password": STAFF_PASSWORD})
    assert reload(user.id).totp_secret is not None


def test_recovery_codes_carry_at_least_128_random_bits(app_ctx):
    from intake.auth import totp

    user = make_user(Role.CLINICIAN)
    codes = totp.new_recovery_codes(user.id)
    assert len(set(codes)) == totp.RECOVERY_CODE_COUNT
    for code in codes:
        letters = code.replace("-", "")
        # base32: 5 bits a character, drawn with secrets.choice
        assert set(letters) <= set("abcdefghijklmnopqrstuvwxyz234567")
        assert len(letters) * 5 >= 128
        assert totp.looks_like_recovery_code(code)
