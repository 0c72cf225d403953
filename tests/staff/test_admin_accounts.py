"""Admin: create accounts, change roles, deactivate and reactivate, reset passwords."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import audit
from intake.extensions import db
from intake.models import AuditEvent, Role, User
from tests.conftest import STAFF_PASSWORD, make_user
from tests.staff.conftest import login_as, sign_in

pytestmark = pytest.mark.usefixtures("app_ctx")

NEW_PASSWORD = "lantern orchard velvet 7 cobalt"


@pytest.fixture
def admin(client):
    user = make_user(Role.ADMIN)
    login_as(client, user)
    return user


def reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def actions() -> list[str]:
    return list(db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def temporary_password(html: str) -> str:
    match = re.search(r'id="temporary-password">([^<]+)<', html)
    assert match
    return match.group(1)


def test_users_page_lists_accounts(client, admin):
    other = make_user(Role.FRONT_DESK)
    html = client.get("/admin/users").get_data(as_text=True)
    assert admin.email in html
    assert other.email in html
    assert "Front desk" in html


def test_create_account_shows_a_temporary_password_once_and_forces_a_change(
    client, client_for, admin
):
    response = client.post(
        "/admin/users/new",
        data={"email": "New.Person@Clinic.test", "role": "clinician"},
    )
    # Post/redirect/get: the password is on the page the POST redirects to, once.
    assert response.status_code == HTTPStatus.FOUND
    shown = client.get(response.headers["Location"])
    password = temporary_password(shown.get_data(as_text=True))
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert password not in again
    assert "The temporary password is no longer shown" in again
    user = db.session.execute(
        sa.select(User).where(User.email == "new.person@clinic.test")
    ).scalar_one()
    assert user.role == Role.CLINICIAN
    assert user.must_change_password
    assert password not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert audit.Action.USER_CREATED.value in actions()

    # The new person signs in and is sent to choose a password before anything else.
    newcomer = client_for()
    assert sign_in(newcomer, "new.person@clinic.test", password).status_code == HTTPStatus.FOUND
    blocked = newcomer.get("/account")
    assert blocked.status_code == HTTPStatus.FOUND
    assert blocked.headers["Location"] == "/account/password"
    changed = newcomer.post(
        "/account/password",
        data={"current_password": password, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == HTTPStatus.FOUND
    assert newcomer.get("/account").status_code == HTTPStatus.OK
    assert not reload(user.id).must_change_password


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-email", "Enter a valid email address"),
        ("", "work email address."),
    ],
)
def test_bad_email_gets_a_clear_message_and_keeps_what_was_typed(client, admin, email, message):
    response = client.post("/admin/users/new", data={"email": email, "role": "front_desk"})
    html = response.get_data(as_text=True)
    assert response.status_code == HTTPStatus.OK
    assert message in html
    assert f'value="{email}"' in html or not email
    assert '<option selected value="front_desk">' in html


def test_duplicate_email_is_refused(client, admin):
    response = client.post("/admin/users/new", data={"email": admin.email, "role": "admin"})
    assert "There is already a staff account with this email address." in response.get_data(
        as_text=True
    )


def test_role_change_ends_the_persons_sessions(client, client_for, admin):
    person = make_user(Role.FRONT_DESK)
    theirs = client_for()
    login_as(theirs, person)
    assert theirs.get("/account").status_code == HTTPStatus.OK
    response = client.post(f"/admin/users/{person.id}/role", data={"role": "clinician"})
    assert response.status_code == HTTPStatus.FOUND
    assert reload(person.id).role == Role.CLINICIAN
    assert theirs.get("/account").status_code == HTTPStatus.FOUND
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == audit.Action.USER_ROLE_CHANGED.value)
    ).scalar_one()
    assert event.detail == {"old_role": "front_desk", "new_role": "clinician"}
    assert event.actor_id == admin.id and event.target_id == person.id


def test_unknown_role_is_refused_with_a_message(client, admin):
    person = make_user(Role.FRONT_DESK)
    response = client.post(f"/admin/users/{person.id}/role", data={"role": "superuser"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert reload(person.id).role == Role.FRONT_DESK


def test_deactivation_ends_open_sessions_and_stops_sign_in(client, client_for, admin):
    person = make_user(Role.CLINICIAN)
    theirs = client_for()
    assert sign_in(theirs, person.email).status_code == HTTPStatus.FOUND
    assert theirs.get("/account").status_code == HTTPStatus.OK
    response = client.post(f"/admin/users/{person.id}/deactivate")
    assert response.status_code == HTTPStatus.FOUND
    assert not reload(person.id).active
    # The open session stops working on its very next request.
    after = theirs.get("/account")
    assert after.status_code == HTTPStatus.FOUND
    assert after.headers["Location"].startswith("/login")
    assert sign_in(client_for(), person.email).status_code == HTTPStatus.OK
    # Reactivated, they can sign in again (old cookies stay dead).
    client.post(f"/admin/users/{person.id}/reactivate")
    assert reload(person.id).active
    assert theirs.get("/account").status_code == HTTPStatus.FOUND
    assert sign_in(client_for(), person.email).status_code == HTTPStatus.FOUND
    assert actions()[-2:] == [audit.Action.USER_REACTIVATED.value, audit.Action.SIGN_IN.value]


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(client, admin):
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "This is the last active admin account" in response.get_data(as_text=True)
    assert reload(admin.id).active
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "clinician"})
    assert response.status_code == HTTPStatus.CONFLICT
    assert "This is the last active admin account" in response.get_data(as_text=True)
    assert reload(admin.id).role == Role.ADMIN


def test_an_inactive_admin_does_not_count_as_the_other_admin(client, admin):
    other = make_user(Role.ADMIN)
    other.active = False
    db.session.commit()
    client.post(f"/admin/users/{admin.id}/deactivate")
    assert reload(admin.id).active


def test_with_two_admins_one_may_be_demoted(client, admin):
    other = make_user(Role.ADMIN)
    response = client.post(f"/admin/users/{other.id}/role", data={"role": "front_desk"})
    assert response.status_code == HTTPStatus.FOUND
    assert reload(other.id).role == Role.FRONT_DESK


def test_reset_password_forces_a_new_one_and_ends_sessions(client, client_for, admin):
    person = make_user(Role.FRONT_DESK)
    theirs = client_for()
    login_as(theirs, person)
    response = client.post(f"/admin/users/{person.id}/reset-password")
    assert response.status_code == HTTPStatus.FOUND
    password = temporary_password(client.get(response.headers["Location"]).get_data(as_text=True))
    assert theirs.get("/account").status_code == HTTPStatus.FOUND
    # The old password is gone; the temporary one leads only to the change form.
    assert sign_in(client_for(), person.email, STAFF_PASSWORD).status_code == HTTPStatus.OK
    fresh = client_for()
    assert sign_in(fresh, person.email, password).status_code == HTTPStatus.FOUND
    assert fresh.get("/account").headers["Location"] == "/account/password"
    assert audit.Action.USER_PASSWORD_RESET.value in actions()


def test_unknown_account_is_404(client, admin):
    assert client.get("/admin/users/999999").status_code == HTTPStatus.NOT_FOUND
    assert client.post("/admin/users/999999/deactivate").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("user_id", [0, 2**31, 10**30])
def test_ids_beyond_the_column_range_are_404_not_500(client, admin, user_id):
    assert client.get(f"/admin/users/{user_id}").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"/admin/users/{user_id}/role", data={"role": "admin"}).status_code == (
        HTTPStatus.NOT_FOUND
    )
