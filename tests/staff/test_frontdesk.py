"""The front desk: the day, search, booking, intake links with a QR code, the print page."""

from __future__ import annotations

import datetime as dt
import html
import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from flask import current_app

from intake.appointments import book, parse_booking
from intake.audit import Action
from intake.extensions import db
from intake.links import LinkState, find_link, link_state
from intake.models import Appointment, AuditEvent, IntakeLink, Role, utcnow
from intake.screening import aftercare_hash
from tests.conftest import bypass_append_only, count, csrf_token_from, make_appointment, make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")

SECRET_DETAILS = "takes warfarin every evening"


def visible(response) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def desk(client):
    user = make_user(Role.FRONT_DESK)
    login_as(client, user)
    return user


def book_at(local: str, **names: str) -> Appointment:
    """Book at a clinic-local ``YYYY-MM-DDTHH:MM``."""
    booking = parse_booking(
        {
            "first_name": names.get("first_name", "Robin"),
            "last_name": names.get("last_name", "Example"),
            "dob": names.get("dob", "1990-05-17"),
            "at": local,
        },
        tz=current_app.config["INTAKE_TZ"],
    )
    appointment, _link, _token = book(booking)
    db.session.commit()
    return appointment


def local_day(days: int) -> dt.date:
    return (utcnow().astimezone(current_app.config["INTAKE_TZ"]) + dt.timedelta(days=days)).date()


def events(action: Action) -> list[AuditEvent]:
    return list(
        db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action.value))
        .scalars()
        .all()
    )


# -- The day -----------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"INTAKE_TIMEZONE": "Pacific/Auckland"}])
def test_the_day_lists_that_days_appointments_in_time_order_in_the_clinic_zone(client, desk):
    day = local_day(2)
    after = day + dt.timedelta(days=1)
    book_at(f"{day}T23:30", first_name="Late")
    book_at(f"{day}T00:15", first_name="Early")
    book_at(f"{day}T10:00", first_name="Middle")
    book_at(f"{after}T00:05", first_name="Nextday")

    response = client.get(f"/frontdesk/?date={day}")
    page = visible(response)

    assert response.status_code == HTTPStatus.OK
    assert page.index("Example, Early") < page.index("Example, Middle") < page.index("Late")
    assert "00:15" in page and "23:30" in page  # shown on the clinic's clock
    assert "Nextday" not in page
    assert "Not started" in page and "Link active" in page


def test_today_is_the_default_and_a_bad_date_keeps_what_was_typed(client, desk):
    make_appointment(first_name="Soon", starts_in=dt.timedelta(minutes=30))
    today = local_day(0)
    default = visible(client.get("/frontdesk/"))
    assert "Today" in default
    if (
        local_day(0)
        == (utcnow() + dt.timedelta(minutes=30)).astimezone(current_app.config["INTAKE_TZ"]).date()
    ):
        assert "Soon" in default

    response = client.get("/frontdesk/?date=31/12/2026")

    assert response.status_code == HTTPStatus.OK
    assert "Enter the date like 2026-12-01. Showing today instead." in visible(response)
    assert 'value="31/12/2026"' in response.get_data(as_text=True)
    assert str(today.year) in visible(response)


def test_the_front_desk_sees_status_but_never_answers_or_flags(client, desk):
    appointment, _ = make_submitted(
        {"blood_thinners": "yes", "blood_thinners_details": SECRET_DETAILS},
        starts_in=dt.timedelta(hours=1),
    )
    day = appointment.starts_at.astimezone(current_app.config["INTAKE_TZ"]).date()
    pages = [
        client.get(f"/frontdesk/?date={day}"),
        client.get("/frontdesk/search?q=Robin"),
        client.get(f"/frontdesk/appointments/{appointment.id}"),
        client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment"),
    ]
    for response in pages:
        assert response.status_code == HTTPStatus.OK
        page = visible(response)
        assert SECRET_DETAILS not in page
        assert "Bleeding risk" not in page
        assert "blood thinners" not in page.lower()
    assert "Waiting for a clinician" in visible(pages[0])


# -- Search --------------------------------------------------------------------


def test_search_by_name_parts_in_any_case_or_by_date_of_birth(client, desk):
    make_appointment(first_name="Ana", last_name="Lopez", dob="1990-04-12")
    make_appointment(first_name="Anabel", last_name="Smith", dob="1985-01-30")
    make_appointment(first_name="Bo", last_name="Lopez-Ng", dob="1970-07-07")

    def found(q: str) -> str:
        return visible(client.get("/frontdesk/search", query_string={"q": q}))

    assert "Lopez, Ana" in found("lopez") and "Lopez-Ng, Bo" in found("LOPEZ")
    both = found("ana lopez")
    assert "Lopez, Ana" in both and "Smith" not in both and "Lopez-Ng" not in both
    by_dob = found("1985-01-30")
    assert "Smith, Anabel" in by_dob and "Lopez" not in by_dob
    assert "No appointment matches" in found("zzz")
    # LIKE's wildcards are matched literally, not as "anything".
    assert "No appointment matches" in found("%")
    assert "No appointment matches" in found("_")


# -- Booking ---------------------------------------------------------------------


def test_booking_creates_the_appointment_and_shows_its_link_once_with_a_qr_code(client, desk):
    at = (local_day(3)).isoformat() + "T09:30"

    response = client.post(
        "/frontdesk/appointments/new",
        data={
            "first_name": " Ana ",
            "last_name": "Lopez",
            "dob": "1990-04-12",
            "at": at,
            "email": "ana@example.com",
            "phone": "+1 555 0101",
        },
    )

    # Post/redirect/get: the booking redirects to the page that shows the link once.
    assert response.status_code == HTTPStatus.SEE_OTHER
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    url = re.search(r'id="intake-url" value="([^"]+)"', body).group(1)
    token = url.rsplit("/i/", 1)[1]
    link = find_link(token)
    assert link is not None and link_state(link) is LinkState.VALID
    appointment = link.appointment
    assert (appointment.first_name, appointment.email) == ("Ana", "ana@example.com")
    assert appointment.intake is not None
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR code', body)
    # Shown once: the appointment's page offers a new link, never this one.
    assert token not in client.get(f"/frontdesk/appointments/{appointment.id}").get_data(
        as_text=True
    )
    booked = events(Action.APPOINTMENT_BOOKED)
    issued = events(Action.LINK_ISSUED)
    assert [e.target_id for e in booked] == [appointment.id]
    assert [e.detail["link"] for e in issued] == [link.id]
    for event in (*booked, *issued):
        assert token not in str(event.detail) and "Ana" not in str(event.detail)


def test_booking_reports_every_wrong_field_and_keeps_what_was_typed(client, desk):
    data = {
        "first_name": "",
        "last_name": "Lopez",
        "dob-day": "12",
        "dob-month": "13",
        "dob-year": "1990",
        "at": "2020-01-01T09:00",
        "email": "not-an-email",
        "phone": "call me",
    }

    response = client.post("/frontdesk/appointments/new", data=data)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = visible(response)
    assert "Enter the patient's first name." in page
    assert "Date of birth must be a real date" in page
    assert "That time has already passed." in page
    assert "Enter a valid email address" in page
    assert "Enter a phone number with digits" in page
    body = response.get_data(as_text=True)
    for value in ("Lopez", "2020-01-01T09:00", "not-an-email", "call me"):
        assert f'value="{value}"' in body
    assert 'name="dob-day" value="12"' in body and 'name="dob-month" value="13"' in body
    # Only the month box is marked as wrong.
    assert re.search(r'name="dob-month"[^>]*aria-invalid="true"', body)
    assert not re.search(r'name="dob-day"[^>]*aria-invalid', body)
    assert count(Appointment) == 0


def test_booking_refuses_a_future_date_of_birth_and_a_duplicate(client, desk):
    at = local_day(4).isoformat() + "T11:00"
    data = {"first_name": "Ana", "last_name": "Lopez", "dob": "2999-01-01", "at": at}
    response = client.post("/frontdesk/appointments/new", data=data)
    assert "Date of birth must be in the past" in visible(response)

    data["dob"] = "1990-04-12"
    assert client.post("/frontdesk/appointments/new", data=data).status_code == 303
    again = client.post("/frontdesk/appointments/new", data={**data, "first_name": "ANA"})
    assert again.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "This patient already has an appointment at this time." in visible(again)
    assert count(Appointment) == 1


def test_the_booking_form_has_every_field(client, desk):
    body = client.get("/frontdesk/appointments/new").get_data(as_text=True)
    for name in ("first_name", "last_name", "dob-day", "dob-month", "dob-year", "at", "email"):
        assert f'name="{name}"' in body
    assert 'type="datetime-local"' in body and 'type="date"' not in body


# -- Links -------------------------------------------------------------------------


def test_a_reissue_revokes_the_old_link_at_once_and_starts_unlocked(client, desk):
    appointment, old_token = make_appointment()
    old = find_link(old_token)
    old.failed_attempts = 5
    old.locked_at = utcnow()
    db.session.commit()
    assert "Link locked" in visible(client.get(f"/frontdesk/appointments/{appointment.id}"))

    response = client.post(f"/frontdesk/appointments/{appointment.id}/link", follow_redirects=True)

    assert response.status_code == HTTPStatus.OK
    new_token = re.search(r'/i/([^"]+)"', response.get_data(as_text=True)).group(1)
    db.session.expire_all()
    assert link_state(find_link(old_token)) is LinkState.REVOKED
    new = find_link(new_token)
    assert link_state(new) is LinkState.VALID and new.failed_attempts == 0
    assert "earlier link has stopped working" in visible(response)
    [event] = events(Action.LINK_REISSUED)
    assert event.detail["link"] == new.id and new_token not in str(event.detail)


def test_no_new_link_for_an_appointment_that_has_passed(client, desk):
    appointment, _ = make_appointment()
    appointment.starts_at = utcnow() - dt.timedelta(days=2)
    db.session.commit()
    before = count(IntakeLink)

    response = client.post(f"/frontdesk/appointments/{appointment.id}/link")

    assert response.status_code == HTTPStatus.CONFLICT
    assert "This appointment has passed" in visible(response)
    assert count(IntakeLink) == before


def test_unknown_appointments_are_not_found(client, desk):
    for url in ("/frontdesk/appointments/999999", f"/frontdesk/appointments/{2**40}"):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post("/frontdesk/appointments/999999/link").status_code == 404
    appointment, _ = make_appointment()  # not signed yet: nothing to print
    assert client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment").status_code == (
        HTTPStatus.NOT_FOUND
    )


# -- The print page ----------------------------------------------------------------


def test_the_print_page_shows_the_signed_acknowledgment_as_the_patient_saw_it(client, desk):
    appointment, intake = make_submitted(
        {"blood_thinners": "yes", "blood_thinners_details": SECRET_DETAILS},
        signature_name="Robin Q. Example",
        first_name="Robin",
        dob="1988-02-29",
    )

    response = client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment")
    page = visible(response)

    assert response.status_code == HTTPStatus.OK
    # The date of birth is never shown back to the front desk (issue 11).
    assert "Robin Example" in page and "1988-02-29" not in page
    assert "Robin Q. Example" in page
    assert intake.acknowledgment.text_hash == aftercare_hash()
    assert aftercare_hash() in page
    assert "Your skin will look red afterwards." in page
    assert "Tiny spots of bleeding during the treatment are normal." in page
    assert intake.acknowledgment.signed_at.isoformat(timespec="seconds") in page
    assert SECRET_DETAILS not in page
    [event] = events(Action.ACKNOWLEDGMENT_PRINTED)
    assert (event.target_id, event.detail["format"]) == (appointment.id, "page")


def test_a_changed_wording_is_not_reprinted_as_if_signed(client, desk):
    appointment, intake = make_submitted()
    # As if signed under an earlier wording than the one the app has now
    # (written as a database superuser: acknowledgments are append-only).
    bypass_append_only()
    intake.acknowledgment.text_hash = "sha256:" + "0" * 64
    db.session.commit()

    page = visible(client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment"))

    assert "wording has changed since this was signed" in page
    assert "Your skin will look red afterwards." not in page
    assert "sha256:" + "0" * 64 in page and "REDNESS" in page


def test_clinicians_cannot_use_the_front_desk(client):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, _ = make_appointment()
    assert client.get("/frontdesk/").status_code == HTTPStatus.FORBIDDEN
    assert client.post(f"/frontdesk/appointments/{appointment.id}/link").status_code == 403


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_with_csrf_on_booking_and_links_work_only_with_the_forms_token(client, desk):
    at = local_day(5).isoformat() + "T15:00"
    data = {"first_name": "Ana", "last_name": "Lopez", "dob": "1990-04-12", "at": at}
    assert client.post("/frontdesk/appointments/new", data=data).status_code == 400
    assert count(Appointment) == 0

    token = csrf_token_from(client.get("/frontdesk/appointments/new").get_data(as_text=True))
    response = client.post("/frontdesk/appointments/new", data={**data, "csrf_token": token})
    assert response.status_code == HTTPStatus.SEE_OTHER
    appointment = db.session.execute(sa.select(Appointment)).scalar_one()

    url = f"/frontdesk/appointments/{appointment.id}/link"
    assert client.post(url).status_code == HTTPStatus.BAD_REQUEST
    page = client.get(f"/frontdesk/appointments/{appointment.id}").get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_token_from(page)}).status_code == 303


def test_the_booking_date_of_birth_is_three_boxes_for_staff_without_autofill(client, desk):
    page = client.get("/frontdesk/appointments/new").get_data(as_text=True)
    for part in ("day", "month", "year"):
        field = re.search(rf'<input[^>]*name="dob-{part}"[^>]*>', page).group(0)
        assert 'inputmode="numeric"' in field
        # Staff type the patient's date, not their own: no birthday autofill.
        assert 'autocomplete="off"' in field
    assert "9999" not in page
