"""Session lifetime: 30 idle minutes, 12 hours at most, and replayed cookies."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from intake.auth.sessions import LAST_SEEN, SIGNED_IN_AT
from intake.extensions import db
from intake.models import Role, User
from tests.conftest import make_user
from tests.staff.conftest import login_as, sign_in

pytestmark = pytest.mark.usefixtures("app_ctx")

MINUTE = 60
HOUR = 60 * MINUTE


def signed_out(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and response.headers["Location"].startswith(
        "/login"
    )


def test_a_session_idle_for_more_than_30_minutes_ends(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user, seconds_ago=31 * MINUTE)
    response = client.get("/account")
    assert signed_out(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out after 30 minutes without activity" in page
    # Ended for good: the session no longer names anybody.
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_activity_keeps_the_session_alive(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user, seconds_ago=29 * MINUTE)
    assert client.get("/account").status_code == HTTPStatus.OK
    with client.session_transaction() as session:
        # The request moved the idle clock on, the absolute clock stays.
        assert session[LAST_SEEN] > session[SIGNED_IN_AT]


def test_no_session_lasts_more_than_12_hours_even_when_active(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user, seconds_ago=12 * HOUR + MINUTE)
    with client.session_transaction() as session:
        session[LAST_SEEN] = session[SIGNED_IN_AT] + 12 * HOUR  # active a minute ago
    assert signed_out(client.get("/account"))


def test_a_session_without_timestamps_is_not_trusted(client):
    user = make_user(Role.CLINICIAN)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert signed_out(client.get("/account"))


def test_idle_expiry_applies_to_the_api_as_401(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user, seconds_ago=31 * MINUTE)
    # An API client is told 401 in JSON, not redirected to the sign-in page.
    response = client.get("/api/v1/appointments/1/intake")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.is_json


@pytest.mark.parametrize("app_config", [{"INTAKE_STAFF_IDLE_MINUTES": 5}])
def test_the_idle_limit_is_a_setting(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user, seconds_ago=6 * MINUTE)
    assert signed_out(client.get("/account"))


def test_a_cookie_from_before_a_password_change_stops_working(client, client_for):
    user = make_user(Role.CLINICIAN)
    other_device = client_for()
    login_as(other_device, user)
    sign_in(client, user.email)
    new = "harbour pepper glacier 9 tundra"
    response = client.post(
        "/account/password",
        data={
            "current_password": "correct horse battery staple 42",
            "new_password": new,
            "confirm": new,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    # This browser carries on; the other device is signed out.
    assert client.get("/account").status_code == HTTPStatus.OK
    assert signed_out(other_device.get("/account"))


def test_a_stale_session_version_loads_nobody(client):
    user = make_user(Role.FRONT_DESK)
    login_as(client, user)
    db.session.get(User, user.id).session_version += 1
    db.session.commit()
    assert signed_out(client.get("/account"))
