"""API tokens: made and revoked on the admin pages, used as bearer tokens on the API."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from intake import clock
from intake.api import tokens
from intake.audit import Action
from intake.extensions import db
from intake.models import ApiToken, Appointment, AuditEvent, HeldSecret, Role, utcnow
from tests.conftest import make_appointment, make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")

TOKEN_RE = re.compile(r"itk_[A-Za-z0-9_-]{43}")


def intake_url(appointment_id: int) -> str:
    return f"/api/v1/appointments/{appointment_id}/intake"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_through_pages(client, *, name="Booking site", scopes=("read:intakes",), expires=None):
    """Create a token on the admin pages as an admin would; return (response of the page, token)."""
    data = {"name": name, "scopes": list(scopes)}
    data["expires_on"] = (expires or (clock.clinic_today() + dt.timedelta(days=30))).isoformat()
    posted = client.post("/admin/tokens/new", data=data)
    assert posted.status_code == HTTPStatus.FOUND, posted.get_data(as_text=True)
    page = client.get(posted.headers["Location"])
    found = TOKEN_RE.search(page.get_data(as_text=True))
    return page, posted.headers["Location"], found.group(0) if found else None


def make_token(*scopes: str, days: int = 30, name: str = "Partner") -> tuple[ApiToken, str]:
    """Create a token directly through the service (for the API tests); commit."""
    admin = make_user(Role.ADMIN)
    today = clock.clinic_today()
    row, token = tokens.create(
        name,
        scopes or ("read:intakes", "write:appointments"),
        today + dt.timedelta(days=days),
        today=today,
        expires_at=clock.day_bounds(today + dt.timedelta(days=days))[1],
        by=admin.id,
    )
    db.session.commit()
    return row, token


def events(action: Action) -> list[AuditEvent]:
    return list(
        db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == action.value).order_by(AuditEvent.id)
        ).scalars()
    )


def assert_bearer_401(response) -> None:
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(response.get_json()) == {"error", "message"}


# -- The admin pages ----------------------------------------------------------


def test_a_token_is_shown_once_stored_hashed_and_works_until_revoked(app, client, client_for):
    admin = make_user(Role.ADMIN)
    login_as(client, admin)
    form = client.get("/admin/tokens/new").get_data(as_text=True)
    default = (clock.clinic_today() + dt.timedelta(days=90)).isoformat()
    assert f'value="{default}"' in form  # the default expiry: 90 days

    page, created_url, token = create_through_pages(
        client, scopes=("read:intakes", "write:appointments")
    )
    assert page.status_code == HTTPStatus.OK and token is not None
    assert "shown only now" in page.get_data(as_text=True)

    # A reload does not show it again.
    again = client.get(created_url).get_data(as_text=True)
    assert token not in again and "no longer shown" in again
    # Nor does the list, which shows only its first characters.
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert token not in listing and token[:10] in listing and "Booking site" in listing

    # Hashed at rest: the token is nowhere in the database, only its SHA-256.
    row = db.session.execute(sa.select(ApiToken)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.scope_list == ["read:intakes", "write:appointments"]
    assert row.created_by_id == admin.id
    held = db.session.execute(sa.select(HeldSecret)).scalars().all()
    assert [h.sealed for h in held] == [""]  # taken and wiped
    for table in ("api_tokens", "held_secrets", "audit_events"):
        rows = db.session.execute(sa.text(f"SELECT * FROM {table}")).all()  # noqa: S608
        assert token not in json.dumps([list(map(str, r)) for r in rows])
    (created,) = events(Action.API_TOKEN_CREATED)
    assert (created.actor_id, created.target_type, created.target_id) == (
        admin.id,
        "api_token",
        row.id,
    )

    appointment, _ = make_appointment()
    api = client_for()
    assert api.get(intake_url(appointment.id), headers=bearer(token)).status_code == 200

    confirm = client.get(f"/admin/tokens/{row.id}/revoke")
    assert "Revoke the token" in confirm.get_data(as_text=True)
    revoked = client.post(f"/admin/tokens/{row.id}/revoke")
    assert revoked.status_code == HTTPStatus.FOUND
    assert_bearer_401(api.get(intake_url(appointment.id), headers=bearer(token)))
    db.session.refresh(row)
    assert row.revoked_at is not None and row.revoked_by_id == admin.id
    assert [e.target_id for e in events(Action.API_TOKEN_REVOKED)] == [row.id]
    # Revoking twice (a second tab) says so and changes nothing.
    client.post(f"/admin/tokens/{row.id}/revoke")
    assert len(events(Action.API_TOKEN_REVOKED)) == 1
    assert "Revoked" in client.get("/admin/tokens").get_data(as_text=True)


def test_the_token_page_shows_nothing_to_another_admin(client, client_for):
    login_as(client, make_user(Role.ADMIN))
    posted = client.post(
        "/admin/tokens/new",
        data={
            "name": "Site",
            "scopes": ["read:intakes"],
            "expires_on": (clock.clinic_today() + dt.timedelta(days=5)).isoformat(),
        },
    )
    other = client_for()
    login_as(other, make_user(Role.ADMIN))
    page = other.get(posted.headers["Location"]).get_data(as_text=True)
    assert TOKEN_RE.search(page) is None and "no longer shown" in page
    # The admin who made it still sees it, once.
    assert TOKEN_RE.search(client.get(posted.headers["Location"]).get_data(as_text=True))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scopes": ["read:intakes"]}, "Enter a name for the token."),
        ({"name": "x" * 101, "scopes": ["read:intakes"]}, "Use at most 100 characters."),
        ({"name": "Site", "scopes": []}, "Choose at least one thing the token may do."),
        ({"name": "Site", "scopes": ["admin:everything"]}, "not a valid choice"),
        ({"name": "Site", "scopes": ["read:intakes"], "days": 0}, "Choose a day after today."),
        ({"name": "Site", "scopes": ["read:intakes"], "days": -3}, "Choose a day after today."),
        ({"name": "Site", "scopes": ["read:intakes"], "days": 366}, "no later than"),
        ({"name": "Site", "scopes": ["read:intakes"], "expires_on": ""}, "Enter the last day"),
        ({"name": "Site", "scopes": ["read:intakes"], "expires_on": "31/12/2030"}, "Enter the"),
    ],
)
def test_a_bad_token_form_says_what_is_wrong_and_keeps_the_rest(client, data, message):
    login_as(client, make_user(Role.ADMIN))
    form = {"name": data["name"], "scopes": data["scopes"]}
    days = data.get("days", 30)
    form["expires_on"] = data.get(
        "expires_on", (clock.clinic_today() + dt.timedelta(days=days)).isoformat()
    )
    response = client.post("/admin/tokens/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == HTTPStatus.OK
    assert message in html and "There is a problem" in html
    if data["name"] and len(data["name"]) <= 100:
        assert f'value="{data["name"]}"' in html  # nothing typed is lost
    assert db.session.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one() == 0


def test_a_year_is_the_longest_a_token_lives(client):
    login_as(client, make_user(Role.ADMIN))
    _page, _url, token = create_through_pages(
        client, expires=clock.clinic_today() + dt.timedelta(days=365)
    )
    assert token is not None


# -- Bearer tokens on the API -----------------------------------------------------


def test_an_expired_token_is_refused(client):
    row, token = make_token("read:intakes")
    appointment, _ = make_appointment()
    assert client.get(intake_url(appointment.id), headers=bearer(token)).status_code == 200
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert_bearer_401(client.get(intake_url(appointment.id), headers=bearer(token)))


def test_a_token_works_through_its_last_day_and_not_after(app):
    row, _ = make_token("read:intakes", days=1)
    tomorrow = clock.clinic_today() + dt.timedelta(days=1)
    end = clock.day_bounds(tomorrow)[1]
    assert row.expires_at == end
    assert row.status(end - dt.timedelta(seconds=1)) == "active"
    assert row.status(end) == "expired"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer itk_" + "A" * 43,
        "Bearer not-a-token",
        "Bearer ",
        "bearer itk_short",
        "Bearer " + "itk_" + "x" * 500,
    ],
)
def test_an_unknown_or_malformed_token_is_refused(client, header):
    appointment, _ = make_appointment()
    response = client.get(intake_url(appointment.id), headers={"Authorization": header})
    assert_bearer_401(response)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


GUESSES = 3


@pytest.mark.parametrize("app_config", [{"INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES": GUESSES}])
def test_an_address_guessing_tokens_is_refused_before_any_token_is_looked_up(client):
    _, token = make_token("read:intakes")
    appointment, _ = make_appointment()
    guesser = {"REMOTE_ADDR": "203.0.113.7"}
    for n in range(GUESSES):
        guess = bearer("itk_" + f"{n}".rjust(43, "A"))
        answer = client.get(intake_url(appointment.id), headers=guess, environ_base=guesser)
        assert_bearer_401(answer)

    refused = client.get(intake_url(appointment.id), headers=bearer(token), environ_base=guesser)

    # Over the limit even a valid token waits: the address is refused first.
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"] == "too_many_requests"
    throttled = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == Action.SIGN_IN_THROTTLED.value)
    ).all()
    assert [(e.detail["by"], e.detail["step"]) for e in throttled] == [
        ("address", "api.appointment_intake")
    ]
    # Another address, and a session sign-in's address count, are apart from it.
    other = {"REMOTE_ADDR": "198.51.100.20"}
    answered = client.get(intake_url(appointment.id), headers=bearer(token), environ_base=other)
    assert answered.status_code == HTTPStatus.OK


@pytest.mark.parametrize("app_config", [{"INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES": GUESSES}])
def test_failed_tokens_and_failed_sign_ins_share_the_address_count(client):
    appointment, _ = make_appointment()
    for n in range(GUESSES - 1):
        guess = bearer("itk_" + f"{n}".rjust(43, "B"))
        assert_bearer_401(client.get(intake_url(appointment.id), headers=guess))
    client.post("/login", data={"email": "someone@clinic.test", "password": "not the password"})

    again = client.post("/login", data={"email": "other@clinic.test", "password": "nor this"})

    assert again.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_token_without_the_scope_gets_403(client):
    _, write_only = make_token("write:appointments")
    _, read_only = make_token("read:intakes")
    appointment, _ = make_appointment()
    refused = client.get(intake_url(appointment.id), headers=bearer(write_only))
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert set(refused.get_json()) == {"error", "message"}
    booked = client.post("/api/v1/appointments", json=booking(), headers=bearer(read_only))
    assert booked.status_code == HTTPStatus.FORBIDDEN


def test_a_bearer_request_ignores_the_session_cookie(client):
    # A front desk session (which may not read intakes) plus a reading token: the token decides.
    login_as(client, make_user(Role.FRONT_DESK))
    _, token = make_token("read:intakes")
    appointment, _ = make_appointment()
    assert client.get(intake_url(appointment.id)).status_code == HTTPStatus.FORBIDDEN
    assert client.get(intake_url(appointment.id), headers=bearer(token)).status_code == 200


def test_the_last_use_is_written_at_most_once_a_minute(client):
    row, token = make_token("read:intakes")
    appointment, _ = make_appointment()
    assert row.last_used_at is None
    client.get(intake_url(appointment.id), headers=bearer(token))
    db.session.refresh(row)
    first = row.last_used_at
    assert first is not None and utcnow() - first < dt.timedelta(seconds=30)

    client.get(intake_url(appointment.id), headers=bearer(token))
    db.session.refresh(row)
    assert row.last_used_at == first  # within the minute: not written again

    row.last_used_at = first - dt.timedelta(minutes=2)
    db.session.commit()
    client.get(intake_url(appointment.id), headers=bearer(token))
    db.session.refresh(row)
    assert row.last_used_at > first - dt.timedelta(minutes=2)


def test_every_token_call_is_audited_without_the_token(client):
    row, token = make_token("read:intakes")
    appointment, _ = make_submitted({"active_acne": "yes"})
    assert client.get(intake_url(appointment.id), headers=bearer(token)).status_code == 200
    assert client.get(intake_url(999_999), headers=bearer(token)).status_code == 404
    assert client.post("/api/v1/appointments", json={}, headers=bearer(token)).status_code == 403

    used = events(Action.API_TOKEN_USED)
    assert [(e.actor_kind, e.actor_id, e.target_type, e.target_id) for e in used] == [
        ("api_token", None, "api_token", row.id)
    ] * 3
    assert [e.detail for e in used] == [
        {
            "method": "GET",
            "route": "/api/v1/appointments/<int:appointment_id>/intake",
            "status": 200,
        },
        {
            "method": "GET",
            "route": "/api/v1/appointments/<int:appointment_id>/intake",
            "status": 404,
        },
        {"method": "POST", "route": "/api/v1/appointments", "status": 403},
    ]
    (read,) = events(Action.API_INTAKE_READ)
    assert (read.actor_kind, read.actor_id, read.target_id) == ("api_token", None, appointment.id)
    assert read.detail == {"token_id": row.id}
    everything = json.dumps(
        [[e.detail, e.action] for e in db.session.scalars(sa.select(AuditEvent))]
    )
    assert token not in everything and token[4:20] not in everything


def test_the_audit_log_page_names_the_token(client):
    _, token = make_token("read:intakes")
    appointment, _ = make_appointment()
    client.get(intake_url(appointment.id), headers=bearer(token))
    login_as(client, make_user(Role.ADMIN))
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "API token used" in html and "an API token" in html


# -- POST /api/v1/appointments --------------------------------------------------------


def booking(**changes: object) -> dict[str, object]:
    at = (utcnow() + dt.timedelta(days=2)).astimezone(clock.clinic_tz())
    body: dict[str, object] = {
        "first_name": "Robin",
        "last_name": "Example",
        "date_of_birth": "1990-05-17",
        "at": at.strftime("%Y-%m-%dT%H:%M"),
        "email": "robin@example.com",
        "phone": "+1 555 0100",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def test_booking_with_a_token_gives_a_working_intake_link(client, client_for):
    row, token = make_token("write:appointments")
    response = client.post("/api/v1/appointments", json=booking(), headers=bearer(token))
    assert response.status_code == HTTPStatus.CREATED
    body = response.get_json()
    assert set(body) == {"appointment_id", "intake_url"}
    assert response.headers["Location"] == intake_url(body["appointment_id"])
    assert body["intake_url"].startswith("http://localhost/i/")
    events_booked = events(Action.APPOINTMENT_BOOKED)
    assert [e.target_id for e in events_booked] == [body["appointment_id"]]
    assert [e.target_id for e in events(Action.API_TOKEN_USED)] == [row.id]

    patient = client_for()
    page = patient.get(body["intake_url"].removeprefix("http://localhost"))
    assert page.status_code == HTTPStatus.OK
    assert 'name="date_of_birth' in page.get_data(as_text=True)


def test_the_booked_time_is_the_clinics_local_time(app, client):
    app.config["INTAKE_TZ"] = ZoneInfo("America/New_York")
    _, token = make_token("write:appointments")
    local = (
        (utcnow() + dt.timedelta(days=3))
        .astimezone(clock.clinic_tz())
        .replace(second=0, microsecond=0)
    )
    body = booking(at=local.strftime("%Y-%m-%dT%H:%M"))
    response = client.post("/api/v1/appointments", json=body, headers=bearer(token))
    appointment = db.session.get(Appointment, response.get_json()["appointment_id"])
    assert appointment.starts_at == local


def test_a_duplicate_booking_is_refused_with_the_first_ones_id(client):
    _, token = make_token("write:appointments")
    body = booking()
    first = client.post("/api/v1/appointments", json=body, headers=bearer(token)).get_json()
    again = client.post("/api/v1/appointments", json=body, headers=bearer(token))
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.get_json()["appointment_id"] == first["appointment_id"]
    assert again.get_json()["error"] == "conflict"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"first_name": ""}, "first_name", "first_name.required"),
        ({"first_name": ...}, "first_name", "first_name.required"),
        ({"last_name": "   "}, "last_name", "last_name.required"),
        ({"last_name": "x" * 101}, "last_name", "last_name.too_long"),
        ({"date_of_birth": "17/05/1990"}, "date_of_birth", "dob.format"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "dob.future"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "dob.too_early"),
        ({"at": "tomorrow at ten"}, "at", "at.format"),
        ({"at": "2001-01-01T10:00"}, "at", "at.past"),
        ({"at": ...}, "at", "at.format"),
        ({"email": "not an email"}, "email", "email.invalid"),
        ({"phone": "call me"}, "phone", "phone.invalid"),
        ({"first_name": ["Robin"]}, "first_name", "type"),
        ({"nickname": "Rob"}, "nickname", "unknown"),
    ],
)
def test_every_wrong_field_gets_422_naming_it(client, changes, field, code):
    _, token = make_token("write:appointments")
    response = client.post("/api/v1/appointments", json=booking(**changes), headers=bearer(token))
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    body = response.get_json()
    assert set(body) == {"error", "message", "fields"}
    assert body["error"] == "invalid_input"
    assert body["fields"][0]["field"] == field and body["fields"][0]["code"] == code
    assert field in body["message"]
    assert events(Action.APPOINTMENT_BOOKED) == []


def test_several_wrong_fields_are_named_together(client):
    _, token = make_token("write:appointments")
    body = booking(first_name="", date_of_birth="never", at="soon")
    response = client.post("/api/v1/appointments", json=body, headers=bearer(token))
    assert [f["field"] for f in response.get_json()["fields"]] == [
        "first_name",
        "date_of_birth",
        "at",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": 5550100}, "phone"),
        ({"date_of_birth": None}, "date_of_birth"),
        ({"at": True}, "at"),
    ],
)
def test_a_value_that_is_not_text_gets_400_naming_the_field(client, changes, field):
    _, token = make_token("write:appointments")
    response = client.post("/api/v1/appointments", json=booking(**changes), headers=bearer(token))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.get_json()
    assert set(body) == {"error", "message"} and f"({field} is not)" in body["message"]
    assert events(Action.APPOINTMENT_BOOKED) == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("not json", "application/json"), ("[1, 2]", "application/json"), ("a=b", "text/plain")],
)
def test_a_body_that_is_not_a_json_object_gets_400(client, data, content_type):
    _, token = make_token("write:appointments")
    response = client.post(
        "/api/v1/appointments", data=data, content_type=content_type, headers=bearer(token)
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.get_json()) == {"error", "message"}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, HTTPStatus.UNAUTHORIZED),
        (Role.CLINICIAN, HTTPStatus.FORBIDDEN),
        (Role.FRONT_DESK, HTTPStatus.CREATED),
        (Role.ADMIN, HTTPStatus.CREATED),
    ],
)
def test_staff_sessions_book_by_role(client, who, status):
    if who is not None:
        user = make_user(who)
        login_as(client, user)
    response = client.post("/api/v1/appointments", json=booking())
    assert response.status_code == status
    if status == HTTPStatus.UNAUTHORIZED:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if status == HTTPStatus.CREATED:
        (event,) = events(Action.APPOINTMENT_BOOKED)
        assert (event.actor_kind, event.actor_id) == ("staff", user.id)


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_session_booking_needs_the_csrf_token_and_a_bearer_one_does_not(self, client):
        login_as(client, make_user(Role.FRONT_DESK))
        refused = client.post("/api/v1/appointments", json=booking())
        assert refused.status_code == HTTPStatus.BAD_REQUEST
        assert refused.mimetype == "application/json"
        assert events(Action.APPOINTMENT_BOOKED) == []

        html = client.get("/frontdesk/").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        ok = client.post("/api/v1/appointments", json=booking(), headers={"X-CSRFToken": csrf})
        assert ok.status_code == HTTPStatus.CREATED

        _, token = make_token("write:appointments")
        body = booking(first_name="Sam")
        with_token = client_without_cookies(client).post(
            "/api/v1/appointments", json=body, headers=bearer(token)
        )
        assert with_token.status_code == HTTPStatus.CREATED

    def test_the_token_pages_need_the_csrf_token(self, client):
        login_as(client, make_user(Role.ADMIN))
        row, _ = make_token("read:intakes")
        assert client.post(f"/admin/tokens/{row.id}/revoke").status_code == HTTPStatus.BAD_REQUEST
        refused = client.post(
            "/admin/tokens/new",
            data={"name": "x", "scopes": ["read:intakes"], "expires_on": "2030-01-01"},
        )
        assert refused.status_code == HTTPStatus.BAD_REQUEST
        db.session.refresh(row)
        assert row.revoked_at is None


def client_without_cookies(client):
    fresh = client.application.test_client()
    return fresh


# -- PATCH /api/v1/appointments/<id> and POST .../cancel ------------------------------


def local_in(days: int, hour: int = 10) -> str:
    day = clock.clinic_today() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:30"


def booked(client, token: str, **changes: object) -> dict[str, object]:
    response = client.post("/api/v1/appointments", json=booking(**changes), headers=bearer(token))
    assert response.status_code == HTTPStatus.CREATED
    return response.get_json()


def test_a_token_moves_an_appointment_and_edits_its_details(client):
    _, token = make_token("write:appointments")
    made = booked(client, token)
    moved = client.patch(
        f"/api/v1/appointments/{made['appointment_id']}",
        json={"at": local_in(5), "email": "", "last_name": "Lopez"},
        headers=bearer(token),
    )
    assert moved.status_code == HTTPStatus.OK
    assert moved.get_json() == {
        "appointment_id": made["appointment_id"],
        "at": local_in(5),
        "cancelled": False,
        "changed": ["last_name", "email", "at"],
    }
    appointment = db.session.get(Appointment, made["appointment_id"])
    db.session.refresh(appointment)
    assert (appointment.last_name, appointment.email) == ("Lopez", None)
    assert [e.target_id for e in events(Action.APPOINTMENT_RESCHEDULED)] == [appointment.id]
    # Nothing to change: 200, changed [].
    same = client.patch(
        f"/api/v1/appointments/{appointment.id}", json={"at": local_in(5)}, headers=bearer(token)
    )
    assert same.get_json()["changed"] == []
    # The patient's link still works after the move.
    path = made["intake_url"].removeprefix("http://localhost")
    assert client.get(path).status_code == HTTPStatus.OK


def test_a_change_with_a_wrong_field_changes_nothing(client):
    _, token = make_token("write:appointments")
    made = booked(client, token)
    response = client.patch(
        f"/api/v1/appointments/{made['appointment_id']}",
        json={"first_name": "Sam", "at": "2001-01-01T10:00", "date_of_birth": "soon"},
        headers=bearer(token),
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert [(f["field"], f["code"]) for f in response.get_json()["fields"]] == [
        ("date_of_birth", "dob.format"),
        ("at", "at.past"),
    ]
    appointment = db.session.get(Appointment, made["appointment_id"])
    db.session.refresh(appointment)
    assert appointment.first_name == "Robin"
    assert events(Action.APPOINTMENT_UPDATED) == []


def test_a_refused_move_takes_the_detail_edit_back_but_the_call_stays_audited(client):
    _, token = make_token("write:appointments")
    first = booked(client, token, first_name="Sam", at=local_in(6))
    second = booked(client, token, at=local_in(7))
    response = client.patch(
        f"/api/v1/appointments/{second['appointment_id']}",
        json={"first_name": "Sam", "at": local_in(6)},
        headers=bearer(token),
    )
    assert response.status_code == HTTPStatus.CONFLICT
    body = response.get_json()
    assert (body["code"], body["appointment_id"]) == ("booking.duplicate", first["appointment_id"])
    appointment = db.session.get(Appointment, second["appointment_id"])
    db.session.refresh(appointment)
    assert appointment.first_name == "Robin"
    assert events(Action.APPOINTMENT_UPDATED) == []
    assert [e.detail["status"] for e in events(Action.API_TOKEN_USED)] == [201, 201, 409]


def test_details_cannot_change_once_signed(client):
    _, token = make_token("write:appointments")
    appointment, _ = make_submitted()
    response = client.patch(
        f"/api/v1/appointments/{appointment.id}", json={"last_name": "X"}, headers=bearer(token)
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.get_json()["code"] == "appointment.signed"


def test_a_token_cancels_an_appointment_and_its_link_stops_working(client, client_for):
    _, token = make_token("write:appointments")
    made = booked(client, token)
    url = f"/api/v1/appointments/{made['appointment_id']}/cancel"
    response = client.post(url, json={"reason": "moved away"}, headers=bearer(token))
    assert response.status_code == HTTPStatus.OK
    assert response.get_json()["cancelled"] is True
    appointment = db.session.get(Appointment, made["appointment_id"])
    db.session.refresh(appointment)
    assert appointment.cancelled and appointment.cancel_reason == "moved away"
    patient = client_for().get(made["intake_url"].removeprefix("http://localhost"))
    assert 'name="date_of_birth' not in patient.get_data(as_text=True)

    again = client.post(url, headers=bearer(token))
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.get_json()["code"] == "appointment.cancelled"
    moved = client.patch(
        f"/api/v1/appointments/{appointment.id}", json={"at": local_in(9)}, headers=bearer(token)
    )
    assert moved.status_code == HTTPStatus.CONFLICT


@pytest.mark.parametrize("body", [{"reason": ["x"]}, {"why": "x"}, [1]])
def test_a_bad_cancel_body_gets_400_and_cancels_nothing(client, body):
    _, token = make_token("write:appointments")
    made = booked(client, token)
    url = f"/api/v1/appointments/{made['appointment_id']}/cancel"
    assert client.post(url, json=body, headers=bearer(token)).status_code == 400
    assert events(Action.APPOINTMENT_CANCELLED) == []


@pytest.mark.parametrize("method", ["PATCH", "POST"])
def test_changes_to_an_unknown_appointment_get_404(client, method):
    _, token = make_token("write:appointments")
    path = "/api/v1/appointments/999999" + ("/cancel" if method == "POST" else "")
    response = client.open(path, method=method, json={}, headers=bearer(token))
    assert response.status_code == HTTPStatus.NOT_FOUND
    bad_id = client.open(
        path.replace("999999", "abc"), method=method, json={}, headers=bearer(token)
    )
    assert bad_id.status_code == HTTPStatus.NOT_FOUND


def test_a_reading_token_cannot_change_or_cancel(client):
    _, writer = make_token("write:appointments")
    _, reader = make_token("read:intakes")
    made = booked(client, writer)
    base = f"/api/v1/appointments/{made['appointment_id']}"
    assert client.patch(base, json={}, headers=bearer(reader)).status_code == 403
    assert client.post(f"{base}/cancel", headers=bearer(reader)).status_code == 403


def test_the_token_never_reaches_the_logs(client, caplog, capfd):
    caplog.set_level("DEBUG")
    _, token = make_token("read:intakes", "write:appointments")
    appointment, _ = make_appointment()
    client.get(intake_url(appointment.id), headers=bearer(token))
    client.post("/api/v1/appointments", json=booking(first_name=""), headers=bearer(token))
    client.get(intake_url(appointment.id), headers=bearer(token + "x"))
    out, err = capfd.readouterr()
    assert token[4:] not in caplog.text + out + err
