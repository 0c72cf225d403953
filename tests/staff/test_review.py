"""The clinician's review queue, an intake's page, and decisions (append-only)."""

from __future__ import annotations

import datetime as dt
import html
import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake.audit import Action
from intake.extensions import db
from intake.models import AuditEvent, Decision, Intake, IntakeStatus, Role
from intake.screening import QUESTIONS_BY_ID, RULESET_VERSION, aftercare_hash
from tests.conftest import count, csrf_token_from, make_appointment, make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def visible(response) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def clinician(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    return user


def decide(client, intake: Intake, outcome: str, note: str = "", **seen: str):
    data = {
        "outcome": outcome,
        "note": note,
        "seen_status": seen.get("seen_status", intake.status.value),
        "seen_decision": seen.get("seen_decision", ""),
    }
    return client.post(f"/review/intakes/{intake.id}/decision", data=data)


def status_of(intake_id: int) -> IntakeStatus:
    db.session.expire_all()
    return db.session.get(Intake, intake_id).status


# -- The queue ---------------------------------------------------------------


def test_queue_lists_intakes_needing_review_most_serious_first_with_their_flags(client, clinician):
    _later, _ = make_submitted(
        {"active_acne": "yes"}, first_name="Later", starts_in=dt.timedelta(days=3)
    )
    _sooner, _ = make_submitted(
        {"blood_thinners": "yes", "blood_thinners_details": "warfarin 5 mg daily"},
        first_name="Sooner",
        starts_in=dt.timedelta(hours=5),
    )
    make_submitted(first_name="Nothingraised")  # ready: not in the queue
    make_appointment(first_name="Notsubmitted")

    response = client.get("/review/")
    page = text(response)

    # A contraindication (Later) before a precaution, however soon
    # (tests/staff/test_review_queue_order.py has the whole order).
    assert page.index("Later Example") < page.index("Sooner Example")
    assert "Nothingraised" not in page
    assert "Notsubmitted" not in page
    # Severity, title, because (the question, the answer and the details), source.
    assert "Contraindication" in page and "Active acne in the treatment area" in page
    assert "Precaution" in page and "Bleeding risk" in page
    assert QUESTIONS_BY_ID["blood_thinners"].text in page
    assert "warfarin 5 mg daily" in page
    assert "Answer: Yes" in visible(response)
    assert "Source: the clinic's aftercare article" in page


def test_each_row_keeps_its_own_flags_when_the_queue_is_loaded_again(client, clinician):
    # A row's explanation is made once and kept (intake.extensions.fragments):
    # the second load must still show every intake's own flags and answers.
    make_submitted(
        {"numbing_allergy": "yes", "numbing_allergy_details": "hives after lidocaine"},
        first_name="Allergic",
    )
    make_submitted(
        {"blood_thinners": "yes", "blood_thinners_details": "warfarin 5 mg daily"},
        first_name="Thinners",
        starts_in=dt.timedelta(hours=5),
    )

    def row_of(page: str, name: str) -> str:
        start = page.index(f"{name} Example")
        return page[start : page.index("</tr>", start)]

    first = text(client.get("/review/"))
    second = text(client.get("/review/"))

    assert second == first
    assert "hives after lidocaine" in row_of(second, "Allergic")
    assert "warfarin" not in row_of(second, "Allergic")
    assert "warfarin 5 mg daily" in row_of(second, "Thinners")
    assert "hives" not in row_of(second, "Thinners")


def test_queue_keeps_waiting_intakes_of_past_appointments_apart(client, clinician, app):
    past, _ = make_submitted({"active_acne": "yes"}, first_name="Earlier")
    # The appointment has passed since the patient submitted.
    past.starts_at = past.starts_at - dt.timedelta(days=3)
    db.session.commit()

    page = text(client.get("/review/"))

    assert "Nothing waits for review today or later." in page
    assert "Appointments already passed (1)" in page
    assert "Earlier Example" in page


def test_queue_tabs_show_ready_deferred_and_decided_intakes(client, clinician):
    _, _ready = make_submitted(first_name="Readyone")
    _, deferred = make_submitted({"active_acne": "yes"}, first_name="Deferredone")
    assert decide(client, deferred, "deferred", "Wait until the acne settles").status_code == 302

    assert "Readyone" in text(client.get("/review/?show=ready"))
    deferred_tab = text(client.get("/review/?show=deferred"))
    assert "Deferredone" in deferred_tab and "Readyone" not in deferred_tab
    assert "Deferredone" not in text(client.get("/review/"))
    # An unknown tab falls back to the queue rather than failing.
    assert client.get("/review/?show=nonsense").status_code == HTTPStatus.OK


# -- One intake ----------------------------------------------------------------


def test_intake_page_shows_every_answer_the_flags_and_the_signed_acknowledgment(client, clinician):
    _appointment, intake = make_submitted(
        {"numbing_allergy": "yes", "numbing_allergy_details": "hives after lidocaine"},
        signature_name="Robin A. Example",
    )

    response = client.get(f"/review/intakes/{intake.id}")
    page = text(response)

    assert response.status_code == HTTPStatus.OK
    for question in QUESTIONS_BY_ID.values():
        assert question.text in page
    assert "hives after lidocaine" in page
    assert "Reaction to numbing cream" in page
    assert RULESET_VERSION in page
    assert "Robin A. Example" in page
    assert aftercare_hash() in page
    assert "Your skin will look red afterwards." in page  # the wording as signed
    assert 'name="outcome"' in page  # waiting for a decision

    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == Action.INTAKE_VIEWED.value)
    ).scalar_one()
    assert (event.actor_id, event.target_type, event.target_id) == (
        clinician.id,
        "intake",
        intake.id,
    )
    assert "Robin" not in str(event.detail)


def test_a_ready_intake_opens_with_nothing_to_decide(client, clinician):
    _, intake = make_submitted()
    page = text(client.get(f"/review/intakes/{intake.id}"))
    assert "Nothing to decide" in page
    assert 'name="outcome"' not in page


def test_an_intake_not_yet_submitted_or_unknown_is_not_found(client, clinician):
    appointment, _ = make_appointment()
    assert client.get(f"/review/intakes/{appointment.intake.id}").status_code == 404
    assert client.get("/review/intakes/999999").status_code == 404
    assert client.get(f"/review/intakes/{2**40}").status_code == 404


@pytest.mark.parametrize("role", [Role.FRONT_DESK])
def test_the_front_desk_cannot_open_the_queue_or_an_intake(client, role):
    _, intake = make_submitted({"active_acne": "yes"})
    login_as(client, make_user(role))
    for url in ("/review/", f"/review/intakes/{intake.id}"):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert "Active acne" not in text(response)
    response = decide(client, intake, "cleared")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert count(Decision) == 0


# -- Deciding --------------------------------------------------------------------


def test_clearing_needs_no_note_and_is_recorded_and_audited(client, clinician):
    _, intake = make_submitted({"acne_prone": "yes"})

    response = decide(client, intake, "cleared")

    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"].endswith("/review/")
    assert status_of(intake.id) is IntakeStatus.CLEARED
    decision = db.session.execute(sa.select(Decision)).scalar_one()
    assert decision.outcome is IntakeStatus.CLEARED
    assert decision.previous_status is IntakeStatus.NEEDS_REVIEW
    assert decision.clinician_id == clinician.id
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == Action.DECISION_RECORDED.value)
    ).scalar_one()
    assert event.target_id == intake.id and event.detail["outcome"] == "cleared"
    assert "Decision recorded: Cleared." in text(client.get("/review/"))


@pytest.mark.parametrize("outcome", ["cleared_with_precautions", "deferred", "not_suitable"])
def test_every_other_outcome_needs_a_note(client, clinician, outcome):
    _, intake = make_submitted({"active_acne": "yes"})

    response = decide(client, intake, outcome, note="   ")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write a note" in text(response)
    assert re.search(rf'<input[^>]* checked[^>]*value="{outcome}"', response.get_data(as_text=True))
    assert count(Decision) == 0
    assert status_of(intake.id) is IntakeStatus.NEEDS_REVIEW

    response = decide(client, intake, outcome, note="Patch test first; reassess in 2 weeks")
    assert response.status_code == HTTPStatus.FOUND
    assert status_of(intake.id) is IntakeStatus(outcome)
    assert db.session.execute(sa.select(Decision.note)).scalar_one() == (
        "Patch test first; reassess in 2 weeks"
    )


def test_a_missing_or_unknown_outcome_is_refused_with_a_message(client, clinician):
    _, intake = make_submitted({"active_acne": "yes"})
    response = decide(client, intake, "", note="something")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose a decision." in text(response)
    assert "something" in text(response)  # what was typed stays
    response = decide(client, intake, "ready", note="something")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert count(Decision) == 0


def test_a_decision_on_a_ready_intake_is_refused_clearly(client, clinician):
    _, intake = make_submitted()
    response = decide(client, intake, "cleared")
    assert response.status_code == HTTPStatus.CONFLICT
    page = text(response)
    assert "Your decision was not saved" in page
    assert "not waiting for a decision" in page
    assert count(Decision) == 0
    assert status_of(intake.id) is IntakeStatus.READY


def test_a_final_decision_cannot_be_changed(client, clinician):
    _, intake = make_submitted({"active_acne": "yes"})
    assert decide(client, intake, "not_suitable", "Active cystic acne").status_code == 302
    latest = db.session.execute(sa.select(Decision.id)).scalar_one()

    response = decide(
        client, intake, "cleared", seen_status="not_suitable", seen_decision=str(latest)
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert "not waiting for a decision" in text(response)
    assert count(Decision) == 1
    assert status_of(intake.id) is IntakeStatus.NOT_SUITABLE
    page = text(client.get(f"/review/intakes/{intake.id}"))
    assert "This decision is final" in page and 'name="outcome"' not in page


def test_a_deferred_intake_is_decided_again_and_the_history_keeps_both(client, clinician):
    _, intake = make_submitted({"active_acne": "yes"})
    assert decide(client, intake, "deferred", "Come back when the acne has settled").status_code
    deferral = db.session.execute(sa.select(Decision)).scalar_one()
    page = text(client.get(f"/review/intakes/{intake.id}"))
    assert 'name="outcome"' in page  # decidable again
    assert f'name="seen_decision" type="hidden" value="{deferral.id}"' in page

    response = decide(
        client,
        intake,
        "cleared_with_precautions",
        "Acne settled; avoid the chin",
        seen_status="deferred",
        seen_decision=str(deferral.id),
    )

    assert response.status_code == HTTPStatus.FOUND
    rows = db.session.execute(sa.select(Decision).order_by(Decision.id)).scalars().all()
    assert [(d.previous_status.value, d.outcome.value) for d in rows] == [
        ("needs_review", "deferred"),
        ("deferred", "cleared_with_precautions"),
    ]
    assert rows[0].note == "Come back when the acne has settled"  # never overwritten
    page = " ".join(text(client.get(f"/review/intakes/{intake.id}")).split())
    assert page.index("Acne settled; avoid the chin") < page.index(
        "Come back when the acne has settled"
    )
    assert "superseded" in page


def test_a_stale_form_is_refused_and_says_who_decided(client, clinician, client_for):
    _, intake = make_submitted({"active_acne": "yes"})
    colleague = make_user(Role.CLINICIAN, email="colleague@clinic.test")
    other = client_for()
    login_as(other, colleague)
    # Both open the intake; the colleague decides first.
    assert client.get(f"/review/intakes/{intake.id}").status_code == 200
    assert decide(other, intake, "deferred", "Settle first").status_code == HTTPStatus.FOUND

    response = decide(client, intake, "cleared", "My note", seen_status="needs_review")

    assert response.status_code == HTTPStatus.CONFLICT
    page = text(response)
    assert "colleague@clinic.test decided this intake while you had it open: Deferred" in page
    assert "My note" in page
    assert count(Decision) == 1
    assert status_of(intake.id) is IntakeStatus.DEFERRED


def test_a_deferred_intake_decided_again_by_someone_else_refuses_the_stale_form(
    client, clinician, client_for
):
    _, intake = make_submitted({"active_acne": "yes"})
    assert decide(client, intake, "deferred", "Settle first").status_code == HTTPStatus.FOUND
    first = db.session.execute(sa.select(Decision.id)).scalar_one()
    other = client_for()
    login_as(other, make_user(Role.CLINICIAN))
    # The status stays "deferred", but a newer decision exists than this form saw.
    assert (
        decide(
            other,
            intake,
            "deferred",
            "Still active",
            seen_status="deferred",
            seen_decision=str(first),
        ).status_code
        == HTTPStatus.FOUND
    )

    response = decide(client, intake, "cleared", seen_status="deferred", seen_decision=str(first))

    assert response.status_code == HTTPStatus.CONFLICT
    assert count(Decision) == 2
    assert status_of(intake.id) is IntakeStatus.DEFERRED


def test_a_tampered_form_is_a_bad_request_not_an_error(client, clinician):
    _, intake = make_submitted({"active_acne": "yes"})
    response = decide(client, intake, "cleared", seen_status="bogus")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    response = decide(client, intake, "cleared", seen_decision="abc")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert count(Decision) == 0


def test_admins_can_review_too(client):
    login_as(client, make_user(Role.ADMIN))
    _, intake = make_submitted({"active_acne": "yes"})
    assert client.get("/review/").status_code == HTTPStatus.OK
    assert decide(client, intake, "cleared").status_code == HTTPStatus.FOUND


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_with_csrf_on_a_decision_needs_the_forms_token(client, clinician):
    _, intake = make_submitted({"active_acne": "yes"})
    assert decide(client, intake, "cleared").status_code == HTTPStatus.BAD_REQUEST
    page = client.get(f"/review/intakes/{intake.id}").get_data(as_text=True)
    response = client.post(
        f"/review/intakes/{intake.id}/decision",
        data={
            "outcome": "cleared",
            "seen_status": "needs_review",
            "seen_decision": "",
            "csrf_token": csrf_token_from(page),
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert count(Decision) == 1


def test_a_note_typed_while_a_colleague_made_a_final_decision_is_kept_beside_theirs(
    client, clinician, client_for
):
    _, intake = make_submitted({"active_acne": "yes"})
    colleague = make_user(Role.CLINICIAN, email="final@clinic.test")
    other = client_for()
    login_as(other, colleague)
    assert client.get(f"/review/intakes/{intake.id}").status_code == 200
    assert decide(other, intake, "not_suitable", "Their note").status_code == HTTPStatus.FOUND

    response = decide(client, intake, "deferred", "My long note", seen_status="needs_review")

    assert response.status_code == HTTPStatus.CONFLICT
    page = text(response)
    # Nothing more can be decided, so there is no form: the typed note is
    # still shown, beside the colleague's decision and its note.
    assert "My long note" in page
    assert "Their note" in page
    assert count(Decision) == 1
