"""The audit log page (filters, pages) and ``flask audit verify`` on intact and tampered chains."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import audit
from intake.extensions import db
from intake.models import AuditEvent, Role, utcnow
from tests.conftest import make_user
from tests.staff.conftest import login_as, sign_in

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def app_config(tmp_path):
    # The app's instance folder is the repository's; a checkpoint file a
    # developer made there with `flask audit checkpoint` must not reach verify.
    return {"INTAKE_AUDIT_CHECKPOINTS": str(tmp_path / "audit-checkpoints.jsonl")}


@pytest.fixture
def admin(client):
    user = make_user(Role.ADMIN)
    login_as(client, user)
    return user


def rows(html: str) -> int:
    return (
        html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>")
        if "<tbody>" in html
        else 0
    )


def test_sign_ins_and_failures_appear_with_who_and_which_record(client, client_for, admin):
    person = make_user(Role.CLINICIAN)
    sign_in(client_for(), person.email)
    sign_in(client_for(), person.email, "a wrong password, typed badly")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Signed in" in html
    assert "Sign-in failed" in html
    assert person.email in html
    assert f'href="/admin/users/{person.id}"' in html


def test_filter_by_person_action_and_date(client, client_for, admin):
    person = make_user(Role.CLINICIAN)
    sign_in(client_for(), person.email)
    sign_in(client_for(), person.email, "a wrong password, typed badly")
    by_action = client.get(
        "/admin/audit", query_string={"action": audit.Action.SIGN_IN_FAILED.value}
    ).get_data(as_text=True)
    assert rows(by_action) == 1
    by_person = client.get("/admin/audit", query_string={"actor": person.id}).get_data(as_text=True)
    assert rows(by_person) == 1  # the successful sign-in; the failure has no actor
    # Dates are clinic dates (UTC in the tests); a day either side covers midnight.
    today = utcnow().date()

    def count_for(**args: str) -> int:
        return rows(client.get("/admin/audit", query_string=args).get_data(as_text=True))

    # The sign-in, the failure and the two accounts' creation.
    assert count_for(date_from=(today - dt.timedelta(days=1)).isoformat()) == 4
    assert count_for(date_from=(today + dt.timedelta(days=2)).isoformat()) == 0
    assert count_for(date_to=(today - dt.timedelta(days=2)).isoformat()) == 0


def test_bad_filters_get_a_message_not_an_error(client, admin):
    response = client.get(
        "/admin/audit", query_string={"date_from": "31/02/2026", "actor": "abc", "page": "x"}
    )
    assert response.status_code == HTTPStatus.OK
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'value="31/02/2026"' in html
    backwards = client.get(
        "/admin/audit", query_string={"date_from": "2026-05-02", "date_to": "2026-05-01"}
    ).get_data(as_text=True)
    assert "The end date is before the start date." in backwards


def test_the_log_is_paginated(client, admin):
    # With the admin's own creation: 121 events, pages of 50.
    for _ in range(119):
        audit.record(audit.Action.LINK_OPENED, actor_kind=audit.ActorKind.PATIENT)
    db.session.commit()
    first = client.get("/admin/audit").get_data(as_text=True)
    assert rows(first) == 50
    assert "Page 1 of 3" in first
    third = client.get("/admin/audit", query_string={"page": 3}).get_data(as_text=True)
    assert rows(third) == 20
    assert 'rel="prev"' in third and 'rel="next"' not in third
    # Filters survive paging.
    filtered = client.get(
        "/admin/audit", query_string={"action": audit.Action.LINK_OPENED.value}
    ).get_data(as_text=True)
    assert "action=link.opened" in filtered


def test_audit_pages_never_show_patient_answers_or_names(client, admin):
    # Patient-side events carry ids and codes only; the page shows what is stored.
    audit.record(
        audit.Action.STEP_SAVED,
        actor_kind=audit.ActorKind.PATIENT,
        target=("intake", 7),
        step="questions",
    )
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "intake #7" in html
    assert "step=questions" in html


# -- flask audit verify -----------------------------------------------------------


def test_verify_passes_on_an_intact_chain(app, client_for):
    user = make_user(Role.CLINICIAN)
    sign_in(client_for(), user.email)
    sign_in(client_for(), user.email, "a wrong password, typed badly")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output


@pytest.mark.parametrize(
    "tamper",
    [
        sa.text("UPDATE audit_events SET action = 'auth.sign_out' WHERE id = :id"),
        sa.text("UPDATE audit_events SET actor_id = NULL WHERE id = :id"),
        sa.text("DELETE FROM audit_events WHERE id = :id"),
    ],
    ids=["edited-action", "edited-actor", "deleted"],
)
def test_verify_fails_when_a_row_is_tampered_with(app, client_for, tamper):
    user = make_user(Role.CLINICIAN)
    for password in ("a wrong password, typed badly", None, None):
        if password:
            sign_in(client_for(), user.email, password)
        else:
            sign_in(client_for(), user.email)
    # The first successful sign-in: it has an actor and events after it.
    victim = db.session.scalars(
        sa.select(AuditEvent.id)
        .where(AuditEvent.action == audit.Action.SIGN_IN)
        .order_by(AuditEvent.id)
        .limit(1)
    ).one()
    if db.session.get_bind().dialect.name == "postgresql":
        # As a database superuser would: past the append-only trigger.
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.session.execute(tamper, {"id": victim})
    db.session.commit()
    db.session.expire_all()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "audit event" in result.output


@pytest.mark.parametrize("page", ["0", "-3", "99999999999999999999999", "x"])
def test_odd_page_numbers_are_not_errors(client, admin, page):
    assert client.get("/admin/audit", query_string={"page": page}).status_code == HTTPStatus.OK


@pytest.mark.parametrize("actor", ["\r", " ", "\t\n"])
def test_a_blank_looking_person_filter_is_no_filter_not_an_error(client, admin, actor):
    response = client.get("/admin/audit", query_string={"actor": actor})
    assert response.status_code == HTTPStatus.OK
