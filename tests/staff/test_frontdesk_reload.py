"""Post/redirect/get: a reload after booking or a new link changes nothing and shows no link."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake.extensions import db
from intake.models import Appointment, HeldLink, IntakeLink, Role
from tests.conftest import count, make_appointment, make_user
from tests.staff.conftest import login_as
from tests.staff.test_frontdesk import local_day

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def desk(client):
    user = make_user(Role.FRONT_DESK)
    login_as(client, user)
    return user


LINK = re.compile(r"/i/([A-Za-z0-9_-]{43})")


def _state() -> tuple[int, int, list[tuple[int, object]]]:
    db.session.expire_all()
    links = db.session.execute(
        sa.select(IntakeLink.id, IntakeLink.revoked_at).order_by(IntakeLink.id)
    ).all()
    return count(Appointment), count(IntakeLink), [tuple(row) for row in links]


def test_a_booking_redirects_shows_its_link_once_and_a_reload_changes_nothing(client, desk):
    data = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "dob": "1990-04-12",
        "at": local_day(3).isoformat() + "T10:00",
    }
    response = client.post("/frontdesk/appointments/new", data=data)
    assert response.status_code == HTTPStatus.SEE_OTHER
    page = response.headers["Location"]
    assert LINK.search(page) is None  # never in a URL
    shown = client.get(page).get_data(as_text=True)
    token = LINK.search(shown).group(1)
    after = _state()
    # The reload of the result page: no link, nothing made or revoked.
    again = client.get(page).get_data(as_text=True)
    assert token not in again and LINK.search(again) is None
    assert "shown only once" in again and "Make a new link" in again
    assert _state() == after
    # The held token is wiped once shown.
    assert db.session.scalars(sa.select(HeldLink.sealed_token)).all() == [""]


def test_a_new_link_redirects_and_a_reload_neither_revokes_nor_shows_it(client, desk):
    appointment, _token = make_appointment()
    response = client.post(f"/frontdesk/appointments/{appointment.id}/link")
    assert response.status_code == HTTPStatus.SEE_OTHER
    page = response.headers["Location"]
    token = LINK.search(client.get(page).get_data(as_text=True)).group(1)
    after = _state()
    reload = client.get(page)
    assert reload.status_code == HTTPStatus.OK
    assert token not in reload.get_data(as_text=True)
    assert _state() == after  # the link just given to the patient still works


def test_the_held_link_opens_only_for_the_browser_that_made_it(client, client_for, desk):
    appointment, _token = make_appointment()
    response = client.post(f"/frontdesk/appointments/{appointment.id}/link")
    page = response.headers["Location"]
    other = client_for()
    login_as(other, desk)  # the same person, another browser
    assert LINK.search(other.get(page).get_data(as_text=True)) is None
    assert LINK.search(client.get(page).get_data(as_text=True)) is not None
