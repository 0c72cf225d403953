"""Issue 11, finding 5 (staff): signed-in devices are listed, and the others can be signed out
on the server."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import audit
from intake.extensions import db
from intake.models import AuditEvent, Role, StaffSession
from tests.conftest import make_user
from tests.staff.conftest import _fresh_g_per_request, sign_in  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_ctx")

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def browser(client_for, user_agent: str):
    client = client_for()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def test_devices_are_listed_and_the_others_signed_out_on_the_server(client_for):
    user = make_user(Role.CLINICIAN)
    desk = browser(client_for, FIREFOX_WINDOWS)
    phone = browser(client_for, CHROME_ANDROID)
    assert sign_in(desk, user.email).status_code == HTTPStatus.FOUND
    assert sign_in(phone, user.email).status_code == HTTPStatus.FOUND
    # A copy of the phone's cookie, as a thief would keep it.
    stolen = browser(client_for, CHROME_ANDROID)
    stolen.set_cookie("session", phone.get_cookie("session").value)
    assert stolen.get("/account").status_code == HTTPStatus.OK

    page = desk.get("/account").get_data(as_text=True)
    assert "Firefox on Windows (this device)" in page
    assert "Chrome on Android" in page
    rows = db.session.execute(sa.select(StaffSession)).scalars().all()
    assert len(rows) == 2
    assert all("127.0.0.1" not in row.device for row in rows)

    response = desk.post("/account/sessions/end-others")
    assert response.status_code == HTTPStatus.FOUND
    assert phone.get("/account").status_code == HTTPStatus.FOUND
    assert stolen.get("/account").status_code == HTTPStatus.FOUND
    assert desk.get("/account").status_code == HTTPStatus.OK
    assert "Chrome on Android" not in desk.get("/account").get_data(as_text=True)
    events = db.session.execute(
        sa.select(AuditEvent.detail).where(AuditEvent.action == audit.Action.SESSIONS_ENDED.value)
    ).scalars()
    assert list(events) == [{"count": 1}]


def test_signing_out_ends_the_session_row_too(client_for):
    user = make_user(Role.FRONT_DESK)
    desk = browser(client_for, FIREFOX_WINDOWS)
    sign_in(desk, user.email)
    desk.post("/logout")
    db.session.expire_all()
    assert (
        db.session.execute(
            sa.select(sa.func.count()).where(StaffSession.ended_at.is_(None))
        ).scalar_one()
        == 0
    )


@pytest.mark.parametrize("change", ["deactivate", "role", "reset"])
def test_an_admins_change_to_an_account_ends_its_devices_on_the_server(client_for, change):
    from intake.admin import services as admin

    user = make_user(Role.CLINICIAN)
    admin_user = make_user(Role.ADMIN)
    phone = browser(client_for, CHROME_ANDROID)
    assert sign_in(phone, user.email).status_code == HTTPStatus.FOUND
    if change == "deactivate":
        admin.deactivate(user, by=admin_user)
    elif change == "role":
        admin.change_role(user, Role.FRONT_DESK, by=admin_user)
    else:
        admin.reset_password(user, by=admin_user)
    db.session.commit()
    assert phone.get("/account").status_code == HTTPStatus.FOUND
    still_open = db.session.execute(
        sa.select(sa.func.count()).where(
            StaffSession.user_id == user.id, StaffSession.ended_at.is_(None)
        )
    ).scalar_one()
    assert still_open == 0
