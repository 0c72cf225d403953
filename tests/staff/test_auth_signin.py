"""Sign-in through the real form: success, the one failure message, next, rehash, sessions."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from cryptography.fernet import Fernet

from intake import audit, create_app
from intake.extensions import db
from intake.models import AuditEvent, Role, User
from tests.conftest import STAFF_PASSWORD, make_user
from tests.staff.conftest import login_as, sign_in

pytestmark = pytest.mark.usefixtures("app_ctx")


def events(action: audit.Action) -> list[AuditEvent]:
    return list(
        db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action.value))
        .scalars()
        .all()
    )


def test_login_page_has_the_contract_fields_and_password_manager_hints(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html
    assert 'autocomplete="username"' in html
    assert 'name="password"' in html
    assert 'autocomplete="current-password"' in html
    assert "onpaste" not in html


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_through_the_form_and_lands_on_a_staff_page(client, role):
    user = make_user(role)
    response = sign_in(client, user.email)
    assert response.status_code == HTTPStatus.FOUND
    landing = client.get(response.headers["Location"], follow_redirects=True)
    assert landing.status_code == HTTPStatus.OK
    assert "Sign out" in landing.get_data(as_text=True)
    [event] = events(audit.Action.SIGN_IN)
    assert event.actor_id == user.id
    assert db.session.get(User, user.id).last_sign_in_at is not None


def test_email_is_matched_whatever_its_case_and_spaces(client):
    user = make_user(Role.CLINICIAN)
    response = sign_in(client, f"  {user.email.upper()} ")
    assert response.status_code == HTTPStatus.FOUND


def test_unknown_email_and_wrong_password_get_the_same_answer(client_for):
    user = make_user(Role.CLINICIAN)
    unknown = sign_in(client_for(), "nobody@clinic.test")
    wrong = sign_in(client_for(), user.email, "not the right password at all")
    assert unknown.status_code == wrong.status_code == HTTPStatus.OK
    unknown_html = unknown.get_data(as_text=True)
    wrong_html = wrong.get_data(as_text=True)
    message = "That email and password do not match an active staff account."
    assert message in unknown_html
    assert message in wrong_html
    # The typed email stays; the password never comes back.
    assert 'value="nobody@clinic.test"' in unknown_html
    assert "not the right password" not in wrong_html
    failures = events(audit.Action.SIGN_IN_FAILED)
    assert [e.target_id for e in failures] == [None, user.id]
    # No email in the audit trail.
    assert all("@" not in str(e.detail) for e in failures)


def test_unknown_email_takes_about_as_long_as_a_wrong_password(app, client_for):
    # Real hashing parameters: without the dummy hash an unknown email would
    # answer in a fraction of a millisecond instead of tens of milliseconds.
    app.config["INTAKE_PASSWORD_HASHING"] = "owasp"
    user = make_user(Role.CLINICIAN)

    def timed(email: str) -> float:
        client = client_for()
        start = time.perf_counter()
        client.post("/login", data={"email": email, "password": "wrong password here!!"})
        return time.perf_counter() - start

    known: list[float] = []
    unknown: list[float] = []
    for _ in range(5):  # interleaved, so machine load affects both alike
        known.append(timed(user.email))
        unknown.append(timed("nobody@clinic.test"))
    # Loose bounds: the tests run in parallel; what matters is the same order of magnitude.
    assert min(unknown) > min(known) / 3
    assert min(unknown) < min(known) * 3


def test_a_failed_sign_in_never_leads_into_a_staff_page(client):
    user = make_user(Role.ADMIN)
    response = sign_in(client, user.email, "wrong password, clearly wrong", next="/account")
    assert response.status_code == HTTPStatus.OK
    follow = client.get("/account")
    assert follow.status_code == HTTPStatus.FOUND
    assert follow.headers["Location"].startswith("/login")


def test_deactivated_account_cannot_sign_in(client):
    user = make_user(Role.CLINICIAN)
    user.active = False
    db.session.commit()
    response = sign_in(client, user.email)
    assert response.status_code == HTTPStatus.OK
    assert "do not match an active staff account" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account", "/account"),
        ("/account?tab=1", "/account?tab=1"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
    ],
)
def test_next_is_only_followed_when_it_is_a_path_here(client, next_url, expected):
    user = make_user(Role.CLINICIAN)
    response = sign_in(client, user.email, next=next_url)
    location = response.headers["Location"]
    if expected:
        assert location == expected
    else:
        assert location.startswith("/") and not location.startswith("//")
        assert "evil" not in location and "javascript" not in location


def test_sign_in_page_redirects_back_with_next(client):
    response = client.get("/account")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == "/login?next=/account"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'action="/login?next=/account"' in html or "next=%2Faccount" in html


def test_sign_in_rotates_the_session(client):
    user = make_user(Role.CLINICIAN)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    sign_in(client, user.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == user.get_id()


def test_password_hash_is_upgraded_when_the_parameters_change(app, client):
    user = make_user(Role.CLINICIAN)
    # A hash made with older, weaker parameters than the configured ones.
    old = PasswordHasher(
        time_cost=1, memory_cost=CHEAPEST.memory_cost, parallelism=1, hash_len=16, salt_len=8
    ).hash(STAFF_PASSWORD)
    user.password_hash = old
    db.session.commit()
    assert sign_in(client, user.email).status_code == HTTPStatus.FOUND
    db.session.expire_all()
    refreshed = db.session.get(User, user.id).password_hash
    assert refreshed != old
    assert PasswordHasher.from_parameters(CHEAPEST).verify(refreshed, STAFF_PASSWORD)


def test_session_cookie_flags(client):
    user = make_user(Role.CLINICIAN)
    response = sign_in(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize(("env", "secure"), [("development", False), ("production", True)])
def test_cookie_is_secure_outside_development(app, env, secure):
    config = {
        "INTAKE_ENV": env,
        "SECRET_KEY": "x" * 32,
        "INTAKE_AUDIT_KEY": "y" * 32,
        "INTAKE_TOTP_KEYS": Fernet.generate_key().decode(),
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    made = create_app(config)
    assert made.config["SESSION_COOKIE_SECURE"] is secure
    # Secure cookies carry the __Host- prefix (bound to this host, path /).
    assert made.config["SESSION_COOKIE_NAME"] == ("__Host-session" if secure else "session")


def test_sign_out_ends_the_session_and_a_replayed_cookie_does_not_work(client):
    user = make_user(Role.CLINICIAN)
    sign_in(client, user.email)
    assert client.get("/account").status_code == HTTPStatus.OK
    with client.session_transaction() as session:
        saved = dict(session)
    response = client.post("/logout")
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/account").status_code == HTTPStatus.FOUND
    # Replay the cookie from before sign-out.
    with client.session_transaction() as session:
        session.update(saved)
    response = client.get("/account")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"].startswith("/login")
    assert events(audit.Action.SIGN_OUT)


def test_signed_in_visit_to_login_goes_home(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    response = client.get("/login")
    assert response.status_code == HTTPStatus.FOUND
