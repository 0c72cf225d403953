"""The races of issue 10, sent over HTTP by real threads, on SQLite and PostgreSQL.

Each test repeats its race and then checks the invariant in the database:

- a step save racing the final submission never leaves a submitted intake
  whose stored answers screen to other flags (or another status) than stored;
- wrong dates of birth sent at once lock the link at exactly the limit, and
  the right date is refused afterwards;
- reissues sent at once leave one live link; bookings sent at once make one
  appointment; decisions sent at once make one decision, and none is made
  from a status a decision may not follow.

Every answer is one the page gives in normal use (a redirect, the "already
sent" notice, the duplicate booking message, the "already decided" page):
never a 500.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from flask import Flask

from intake import audit
from intake.extensions import db
from intake.intakes import screened_answers
from intake.models import (
    DECIDABLE,
    SUBMITTED,
    Appointment,
    AuditEvent,
    Decision,
    Intake,
    IntakeLink,
    IntakeStatus,
    Role,
)
from intake.screening import CURRENT, needs_review, ruleset
from tests.conftest import make_appointment, make_user
from tests.integrity.conftest import (
    RACE_SECONDS,
    Browser,
    aftercare_data,
    answer_every_step,
    at_once,
    rounds,
    signed_in,
    step_data,
)
from tests.staff.conftest import make_submitted

DOB = "1990-05-17"
# The question the failure was found with: "yes" is a contraindication.
RACED_QUESTION = "active_acne"


def _later(number: int) -> dt.timedelta:
    """A start time of its own for each round (one person cannot be booked twice at once)."""
    return dt.timedelta(days=1, minutes=number)


def _step_of(question_id: str) -> str:
    for step in CURRENT.steps:
        if any(q.id == question_id for q in CURRENT.questions_for_step(step.id)):
            return step.id
    raise AssertionError(f"{question_id} is on no step")


def test_a_step_save_racing_the_submission_never_leaves_answers_and_flags_apart(
    app: Flask, live_server_url: str
):
    assert RACED_QUESTION in CURRENT.questions_by_id
    raced_step = _step_of(RACED_QUESTION)
    answers = {RACED_QUESTION: "yes"}
    seen: set[int] = set()
    for number in rounds(RACE_SECONDS, at_most=400):
        with app.app_context():
            _appointment, token = make_appointment(dob=DOB, starts_in=_later(number))
        patient = Browser(live_server_url)
        assert patient.post(f"/i/{token}", {"date_of_birth": DOB}).status_code == 303
        answer_every_step(patient, {})
        submission = aftercare_data(patient)
        other_tab = patient.tab()
        save, send = at_once(
            partial(other_tab.post, f"/intake/step/{raced_step}", step_data(raced_step, answers)),
            partial(patient.post, "/intake/aftercare", submission),
        )
        assert not isinstance(save, Exception), save
        assert not isinstance(send, Exception), send
        # The save landed before the submission (and moved on) or after it
        # ("already sent", nothing changed); the submission always went through.
        seen.add(save.status_code)
        assert save.status_code in {HTTPStatus.SEE_OTHER, HTTPStatus.CONFLICT}, save.text
        assert send.status_code == HTTPStatus.SEE_OTHER, send.text
        patient.close()
        other_tab.close()

    with app.app_context():
        submitted = db.session.scalars(sa.select(Intake).where(Intake.submitted_at.is_not(None)))
        checked = 0
        for intake in submitted:
            # Its own rule set (the one in force when it was sent), exactly
            # as intakes.submit screens: the stored answers to that set's questions.
            rs = ruleset(intake.ruleset_version)
            flags = rs.screen(screened_answers(rs, intake.answers or {}))
            assert intake.flags == [f.to_record() for f in flags], intake.id
            expected = IntakeStatus.NEEDS_REVIEW if needs_review(flags) else IntakeStatus.READY
            assert intake.status is expected, intake.id
            checked += 1
        assert checked > 0
    assert seen, "no round ran"


def test_wrong_dates_sent_at_once_lock_the_link_at_the_limit(app: Flask, live_server_url: str):
    limit = int(app.config["INTAKE_MAX_DOB_ATTEMPTS"])
    guesses = limit * 2
    for number in rounds(RACE_SECONDS / 3, at_most=40):
        with app.app_context():
            appointment, token = make_appointment(dob=DOB, starts_in=_later(number))
            appointment_id = appointment.id
        wrong = [f"1990-05-{day:02d}" for day in range(1, 32) if f"1990-05-{day:02d}" != DOB][
            :guesses
        ]
        guessers = [Browser(live_server_url) for _ in wrong]
        results = at_once(
            *(
                partial(b.post, f"/i/{token}", {"date_of_birth": d})
                for b, d in zip(guessers, wrong, strict=True)
            )
        )
        for result in results:
            assert not isinstance(result, Exception), result
            assert result.status_code < 500, result.text
        # Every wrong date was counted or refused as locked: exactly the limit.
        with app.app_context():
            link = db.session.scalars(
                sa.select(IntakeLink).where(IntakeLink.appointment_id == appointment_id)
            ).one()
            assert link.failed_attempts == limit
            assert link.locked_at is not None
        # And the right date, sent after the lock, does not open the intake.
        late = Browser(live_server_url)
        response = late.post(f"/i/{token}", {"date_of_birth": DOB})
        assert response.status_code != HTTPStatus.SEE_OTHER
        with app.app_context():
            intake = db.session.scalars(
                sa.select(Intake).where(Intake.appointment_id == appointment_id)
            ).one()
            assert intake.status is IntakeStatus.NOT_STARTED
        for browser in [*guessers, late]:
            browser.close()


def test_the_right_date_is_never_accepted_once_wrong_dates_locked_the_link(
    app: Flask, live_server_url: str
):
    """The right date sent among wrong ones: accepted before the lock, or refused after it."""
    limit = int(app.config["INTAKE_MAX_DOB_ATTEMPTS"])
    wrong = [f"1990-06-{day:02d}" for day in range(1, limit + 1)]
    for number in rounds(RACE_SECONDS / 3, at_most=60):
        with app.app_context():
            appointment, token = make_appointment(dob=DOB, starts_in=_later(number))
            appointment_id, intake_id = appointment.id, appointment.intake.id
            link_id = appointment.links[0].id
        browsers = [Browser(live_server_url) for _ in range(limit + 1)]
        dates = [*wrong, DOB]
        results = at_once(
            *(
                partial(b.post, f"/i/{token}", {"date_of_birth": d})
                for b, d in zip(browsers, dates, strict=True)
            )
        )
        for result in results:
            assert not isinstance(result, Exception), result
            assert result.status_code < 500, result.text
        with app.app_context():
            order = dict(
                db.session.execute(
                    sa.select(AuditEvent.action, AuditEvent.id).where(
                        sa.or_(
                            sa.and_(
                                AuditEvent.action == audit.Action.LINK_LOCKED,
                                AuditEvent.target_type == "link",
                                AuditEvent.target_id == link_id,
                            ),
                            sa.and_(
                                AuditEvent.action == audit.Action.IDENTITY_CONFIRMED,
                                AuditEvent.target_type == "intake",
                                AuditEvent.target_id == intake_id,
                            ),
                        )
                    )
                ).all()
            )
            locked_at = order.get(audit.Action.LINK_LOCKED)
            confirmed_at = order.get(audit.Action.IDENTITY_CONFIRMED)
            if locked_at is not None and confirmed_at is not None:
                assert confirmed_at < locked_at, f"appointment {appointment_id}"
        for browser in browsers:
            browser.close()


def test_reissues_sent_at_once_leave_one_live_link(app: Flask, live_server_url: str):
    with app.app_context():
        desk = make_user(Role.FRONT_DESK)
        email = desk.email
    tabs = [signed_in(live_server_url, email) for _ in range(4)]
    for number in rounds(RACE_SECONDS / 4, at_most=30):
        with app.app_context():
            appointment, _token = make_appointment(dob=DOB, starts_in=_later(number))
            appointment_id = appointment.id
        path = f"/frontdesk/appointments/{appointment_id}/link"
        results = at_once(*(partial(t.post, path, {}) for t in tabs))
        for result in results:
            assert not isinstance(result, Exception), result
            assert result.status_code == HTTPStatus.SEE_OTHER, result.text
        with app.app_context():
            live = db.session.scalars(
                sa.select(IntakeLink).where(
                    IntakeLink.appointment_id == appointment_id,
                    IntakeLink.revoked_at.is_(None),
                )
            ).all()
            assert len(live) == 1
    for tab in tabs:
        tab.close()


def test_the_same_booking_sent_at_once_makes_one_appointment(app: Flask, live_server_url: str):
    with app.app_context():
        desk = make_user(Role.FRONT_DESK)
        email = desk.email
        tz = app.config["INTAKE_TZ"]
    tabs = [signed_in(live_server_url, email) for _ in range(4)]
    start = dt.datetime.now(tz).replace(second=0, microsecond=0) + dt.timedelta(days=2)
    for number in rounds(RACE_SECONDS / 4, at_most=30):
        at = start + dt.timedelta(minutes=number)
        form = {
            "first_name": "Sam",
            "last_name": "Parallel",
            "dob": "1984-02-29",
            "at": at.strftime("%Y-%m-%dT%H:%M"),
            "email": "",
            "phone": "",
        }
        results = at_once(*(partial(t.post, "/frontdesk/appointments/new", form) for t in tabs))
        codes = sorted(r.status_code for r in results if not isinstance(r, Exception))
        assert len(codes) == len(tabs), results
        assert codes == [HTTPStatus.SEE_OTHER] + [HTTPStatus.UNPROCESSABLE_ENTITY] * (len(tabs) - 1)
        with app.app_context():
            made = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Appointment)
                .where(Appointment.last_name == "Parallel", Appointment.starts_at == at)
            )
            assert made == 1
    for tab in tabs:
        tab.close()


def _seen(page: str) -> dict[str, str]:
    def hidden(name: str) -> str:
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
            rf'name="{name}" type="hidden"()', page
        )
        assert match, f"no {name} on the page"
        return match.group(1)

    return {"seen_status": hidden("seen_status"), "seen_decision": hidden("seen_decision")}


def test_decisions_sent_at_once_make_one_decision_from_a_decidable_status(
    app: Flask, live_server_url: str
):
    with app.app_context():
        emails = [make_user(Role.CLINICIAN).email for _ in range(3)]
    clinicians = [signed_in(live_server_url, email) for email in emails]
    outcomes = [IntakeStatus.CLEARED, IntakeStatus.DEFERRED, IntakeStatus.NOT_SUITABLE]
    for number in rounds(RACE_SECONDS / 4, at_most=30):
        with app.app_context():
            _appointment, intake = make_submitted({RACED_QUESTION: "yes"}, starts_in=_later(number))
            intake_id = intake.id
        path = f"/review/intakes/{intake_id}"
        forms = [_seen(c.get(path).text) for c in clinicians]
        results = at_once(
            *(
                partial(c.post, f"{path}/decision", {**f, "outcome": o.value, "note": "Seen."})
                for c, f, o in zip(clinicians, forms, outcomes, strict=True)
            )
        )
        codes = sorted(r.status_code for r in results if not isinstance(r, Exception))
        assert codes == [HTTPStatus.FOUND, HTTPStatus.CONFLICT, HTTPStatus.CONFLICT], results
        with app.app_context():
            made = db.session.scalars(
                sa.select(Decision).where(Decision.intake_id == intake_id)
            ).all()
            assert len(made) == 1
            stored = db.session.get(Intake, intake_id)
            assert stored is not None
            assert stored.status is made[0].outcome
            assert made[0].previous_status is IntakeStatus.NEEDS_REVIEW
    for clinician in clinicians:
        clinician.close()


@pytest.mark.parametrize("status", sorted(SUBMITTED - DECIDABLE))
def test_a_decision_is_refused_from_a_status_no_decision_may_follow(
    app: Flask, live_server_url: str, status: IntakeStatus
):
    with app.app_context():
        email = make_user(Role.CLINICIAN).email
        answers = {} if status is IntakeStatus.READY else {RACED_QUESTION: "yes"}
        _appointment, intake = make_submitted(answers)
        intake_id = intake.id
        if status is not intake.status:
            from intake import decisions

            decisions.record(
                intake_id,
                clinician_id=make_user(Role.CLINICIAN).id,
                outcome=status,
                note="Seen.",
                seen_status=IntakeStatus.NEEDS_REVIEW,
                seen_decision_id=None,
            )
            db.session.commit()
        before = db.session.scalar(
            sa.select(sa.func.count()).select_from(Decision).where(Decision.intake_id == intake_id)
        )
    clinician_browser = signed_in(live_server_url, email)
    response = clinician_browser.post(
        f"/review/intakes/{intake_id}/decision",
        {"seen_status": status.value, "seen_decision": "", "outcome": "cleared", "note": "Seen."},
    )
    clinician_browser.close()
    assert response.status_code == HTTPStatus.CONFLICT, response.text
    with app.app_context():
        after = db.session.scalar(
            sa.select(sa.func.count()).select_from(Decision).where(Decision.intake_id == intake_id)
        )
        assert after == before
        stored = db.session.get(Intake, intake_id)
        assert stored is not None and stored.status is status
