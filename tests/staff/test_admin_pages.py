"""Admin pages: confirmation before deactivating or resetting, the role placeholder,
recent activity that names who acted, and audit events linked to their records."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import audit
from intake.admin import services
from intake.admin.views import action_label, action_labels
from intake.extensions import db
from intake.models import AuditEvent, HeldSecret, IntakeLink, Role, StaffSession, User
from tests.conftest import count, make_appointment, make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def admin(client):
    user = make_user(Role.ADMIN)
    login_as(client, user)
    return user


def accounts_state() -> list[tuple[object, ...]]:
    """Every account's sign-in state, sessions and events except page views."""
    db.session.expire_all()
    users = db.session.execute(
        sa.select(User.id, User.active, User.password_hash, User.session_version).order_by(User.id)
    ).all()
    return [
        *(tuple(u) for u in users),
        ("sessions", count(StaffSession)),
        ("events", count(AuditEvent)),
    ]


def visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- Confirmation pages -----------------------------------------------------------


def test_deactivation_asks_first_and_a_get_changes_nothing(client, admin):
    person = make_user(Role.CLINICIAN)
    before = accounts_state()

    page = client.get(f"/admin/users/{person.id}/deactivate")

    assert page.status_code == HTTPStatus.OK
    html = page.get_data(as_text=True)
    assert f"Deactivate {person.email}?" in html
    assert f'action="/admin/users/{person.id}/deactivate"' in html
    assert "Yes, deactivate the account" in html
    assert accounts_state() == before
    # The account page links to it rather than deactivating in one click.
    account = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert f'href="/admin/users/{person.id}/deactivate"' in account
    assert f'method="post" action="/admin/users/{person.id}/deactivate"' not in account


def test_confirmed_deactivation_redirects_and_a_reload_changes_nothing(client, admin):
    person = make_user(Role.CLINICIAN)

    response = client.post(f"/admin/users/{person.id}/deactivate")

    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == f"/admin/users/{person.id}"
    assert db.session.get(User, person.id).active is False
    after = accounts_state()
    # The reload a browser makes after the redirect is a GET of the account page.
    assert client.get(response.headers["Location"]).status_code == HTTPStatus.OK
    assert client.get(response.headers["Location"]).status_code == HTTPStatus.OK
    assert accounts_state() == after


def test_password_reset_asks_first_then_shows_the_password_once(client, admin):
    person = make_user(Role.FRONT_DESK)
    before = accounts_state()

    confirm = client.get(f"/admin/users/{person.id}/reset-password")
    assert confirm.status_code == HTTPStatus.OK
    assert f"Reset the password of {person.email}?" in confirm.get_data(as_text=True)
    assert accounts_state() == before

    response = client.post(f"/admin/users/{person.id}/reset-password")
    assert response.status_code == HTTPStatus.FOUND
    target = response.headers["Location"]
    assert target == f"/admin/users/{person.id}/temporary-password"
    shown = client.get(target).get_data(as_text=True)
    password = re.search(r'id="temporary-password">([^<]+)<', shown).group(1)
    after = accounts_state()

    again = client.get(target).get_data(as_text=True)
    assert password not in again
    assert "The temporary password is no longer shown" in again
    assert accounts_state() == after


def test_the_held_password_is_sealed_on_the_server_not_in_the_session(client, admin):
    person = make_user(Role.FRONT_DESK)
    client.post(f"/admin/users/{person.id}/reset-password")
    with client.session_transaction() as session:
        cookie = repr(dict(session))
    stored = db.session.execute(sa.select(HeldSecret.sealed)).scalar_one()
    shown = client.get(f"/admin/users/{person.id}/temporary-password").get_data(as_text=True)
    password = re.search(r'id="temporary-password">([^<]+)<', shown).group(1)
    assert password not in cookie
    assert password not in stored


def test_a_held_password_is_shown_only_on_its_own_accounts_page(client, admin):
    person, other = make_user(Role.FRONT_DESK), make_user(Role.CLINICIAN)
    client.post(f"/admin/users/{person.id}/reset-password")
    page = client.get(f"/admin/users/{other.id}/temporary-password").get_data(as_text=True)
    assert 'id="temporary-password"' not in page


# -- The role select ------------------------------------------------------------------


def test_the_role_select_starts_with_an_empty_choice_so_required_can_fail(client, admin):
    html = client.get("/admin/users/new").get_data(as_text=True)
    select = re.search(r"<select[^>]*>(.*?)</select>", html, re.S)
    assert select and "required" in select.group(0)
    first = re.search(r"<option[^>]*>[^<]*</option>", select.group(1)).group(0)
    assert 'value=""' in first and "Choose a role" in first


@pytest.mark.parametrize("data", [{"role": ""}, {}])
def test_a_missing_role_gets_a_clear_message_and_keeps_the_email(client, admin, data):
    before = count(User)
    response = client.post("/admin/users/new", data={"email": "kim@clinic.test", **data})
    html = response.get_data(as_text=True)
    assert "Choose a role." in html
    assert 'value="kim@clinic.test"' in html
    assert count(User) == before


def test_a_missing_role_on_the_account_page_is_refused_with_a_message(client, admin):
    person = make_user(Role.FRONT_DESK)
    response = client.post(f"/admin/users/{person.id}/role", data={"role": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose a role." in response.get_data(as_text=True)
    assert db.session.get(User, person.id).role is Role.FRONT_DESK


# -- Recent activity and the audit log's records ------------------------------------


def test_recent_activity_names_who_acted_and_on_what(client, admin):
    person = make_user(Role.CLINICIAN)
    client.post("/admin/users/new", data={"email": "newcomer@clinic.test", "role": "clinician"})
    client.post(f"/admin/users/{person.id}/reset-password")
    newcomer = db.session.execute(
        sa.select(User).where(User.email == "newcomer@clinic.test")
    ).scalar_one()

    mine = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    text = visible(mine)

    # Each event done by this admin to someone else names both.
    assert f"{admin.email} (you) Account created staff account #{newcomer.id}" in text
    assert f"{admin.email} (you) Password reset by admin staff account #{person.id}" in text
    assert f'href="/admin/users/{newcomer.id}"' in mine
    # And the reset person's page says who reset them.
    theirs = visible(client.get(f"/admin/users/{person.id}").get_data(as_text=True))
    assert f"{admin.email} (you) Password reset by admin staff account #{person.id}" in theirs
    assert "(this account)" in theirs


def test_audit_events_link_to_the_record_they_name(client, admin):
    appointment, intake = make_submitted({"active_acne": "yes"})
    waiting, _token = make_appointment(first_name="Notyet")
    link = db.session.execute(
        sa.select(IntakeLink).where(IntakeLink.appointment_id == waiting.id)
    ).scalar_one()
    audit.record(
        audit.Action.LINK_OPENED, actor_kind=audit.ActorKind.PATIENT, target=("link", link.id)
    )
    audit.record(
        audit.Action.STEP_SAVED,
        actor_kind=audit.ActorKind.PATIENT,
        target=("intake", waiting.intake.id),
    )
    db.session.commit()

    html = client.get("/admin/audit").get_data(as_text=True)

    # Booked: the appointment; submitted intake: the clinician's page; one not
    # yet submitted and a link: their appointment.
    assert f'href="/frontdesk/appointments/{appointment.id}"' in html
    assert f'href="/review/intakes/{intake.id}"' in html
    assert f'href="/frontdesk/appointments/{waiting.id}">intake link #{link.id}' in html
    assert (
        f'href="/frontdesk/appointments/{waiting.id}">intake #{waiting.intake.id} '
        f"(appointment #{waiting.id})" in html
    )
    assert "the patient (through the link)" in html


@pytest.mark.parametrize(
    ("role", "user_link", "appointment_link", "intake_link"),
    [
        (Role.ADMIN, True, True, True),
        (Role.CLINICIAN, False, False, True),
        # The front desk cannot open the intake itself, but its appointment.
        (Role.FRONT_DESK, False, True, "appointment"),
    ],
)
def test_records_are_linked_only_where_the_viewer_may_open_them(
    app, role, user_link, appointment_link, intake_link
):
    appointment, intake = make_submitted({"active_acne": "yes"})
    person = make_user(Role.CLINICIAN)
    events = [
        audit.record(
            audit.Action.USER_CREATED, actor_kind=audit.ActorKind.SYSTEM, target=("user", person.id)
        ),
        audit.record(
            audit.Action.APPOINTMENT_BOOKED,
            actor_kind=audit.ActorKind.SYSTEM,
            target=("appointment", appointment.id),
        ),
        audit.record(
            audit.Action.INTAKE_SUBMITTED,
            actor_kind=audit.ActorKind.PATIENT,
            target=("intake", intake.id),
        ),
    ]
    # Events are chained and written as the transaction commits (intake.audit.record).
    db.session.commit()
    with app.test_request_context():
        refs = services.record_refs(events, role)
    assert [refs[e.id].url is not None for e in events] == [
        user_link,
        appointment_link,
        bool(intake_link),
    ]
    if intake_link == "appointment":
        assert refs[events[2].id].url == f"/frontdesk/appointments/{appointment.id}"


def test_every_event_tag_reads_as_words():
    labels = action_labels()
    for tag in audit.Action:
        words = action_label(tag.value, labels)
        assert words and words != tag.value and "." not in words and "_" not in words, tag
    assert action_label("audit.scheme_changed", labels) == "Audit log switched to keyed hashes"
    # A tag added later, without its own words yet, still reads as words.
    assert action_label("appointment.cancelled", labels) == "Appointment cancelled"


def test_every_event_tag_has_words_of_its_own():
    # The fallback is for rows written by a later version; every tag this
    # version writes is named by hand ("Webhook delivery gave up" read oddly).
    labels = action_labels()
    assert [tag.value for tag in audit.Action if tag not in labels] == []


def test_the_audit_page_shows_the_scheme_marker_in_words(client, admin):
    db.session.add(
        AuditEvent(
            actor_kind="system",
            action=audit.Action.AUDIT_SCHEME_CHANGED.value,
            detail={},
            prev_hash="f" * 64,
            hash="e" * 64,
        )
    )
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Audit log switched to keyed hashes" in html


def test_a_head_request_does_not_use_up_the_one_showing(client, admin):
    person = make_user(Role.FRONT_DESK)
    client.post(f"/admin/users/{person.id}/reset-password")
    target = f"/admin/users/{person.id}/temporary-password"
    assert client.head(target).status_code == HTTPStatus.OK
    assert 'id="temporary-password"' in client.get(target).get_data(as_text=True)
