"""Two clinicians deciding the same intake at the same moment: exactly one wins.

Each clinician is a thread with its own app context, so its own session and
its own database connection, as two requests in two server processes would
have. Run against PostgreSQL with ``INTAKE_TEST_DATABASE=postgresql``; on
SQLite the same tests run against SQLite's database-wide write lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from intake import decisions
from intake.extensions import db
from intake.models import Decision, Intake, IntakeStatus, Role
from tests.conftest import count, make_user
from tests.staff.conftest import make_submitted

# Threads with their own connections must see each other's commits.
pytestmark = pytest.mark.committed

HOLD_SECONDS = 0.6


def _decide(
    app: Flask,
    intake_id: int,
    clinician_id: int,
    outcome: IntakeStatus,
    seen_status: IntakeStatus,
    seen_decision_id: int | None,
    *,
    before_commit: Callable[[], None] = lambda: None,
) -> str:
    """Decide in this thread's own app context and connection; return what happened."""
    with app.app_context():
        try:
            decisions.record(
                intake_id,
                clinician_id=clinician_id,
                outcome=outcome,
                note="note",
                seen_status=seen_status,
                seen_decision_id=seen_decision_id,
            )
        except decisions.AlreadyDecidedError:
            db.session.rollback()
            return "refused"
        before_commit()
        db.session.commit()
        return "recorded"


def _run(*targets: Callable[[], str]) -> list[Any]:
    results: list[Any] = [None] * len(targets)

    def wrap(i: int, target: Callable[[], str]) -> None:
        try:
            results[i] = target()
        except Exception as exc:  # reported by the assertion below, with its type
            results[i] = exc

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def setup(app):
    with app.app_context():
        _, intake = make_submitted({"active_acne": "yes"})
        first = make_user(Role.CLINICIAN)
        second = make_user(Role.CLINICIAN)
        return intake.id, first.id, second.id


def test_the_second_of_two_overlapping_decisions_waits_and_is_refused(app, setup):
    intake_id, first, second = setup
    first_updated = threading.Event()
    waited: dict[str, float] = {}

    def hold_the_lock() -> None:
        first_updated.set()
        time.sleep(HOLD_SECONDS)  # the second clinician presses "Record" meanwhile

    def one() -> str:
        return _decide(
            app,
            intake_id,
            first,
            IntakeStatus.DEFERRED,
            IntakeStatus.NEEDS_REVIEW,
            None,
            before_commit=hold_the_lock,
        )

    def two() -> str:
        assert first_updated.wait(10)
        started = time.monotonic()
        try:
            return _decide(
                app, intake_id, second, IntakeStatus.CLEARED, IntakeStatus.NEEDS_REVIEW, None
            )
        finally:
            waited["seconds"] = time.monotonic() - started

    assert _run(one, two) == ["recorded", "refused"]
    # The second update really ran while the first held the row: it waited.
    assert waited["seconds"] >= HOLD_SECONDS / 2
    with app.app_context():
        assert count(Decision) == 1
        decision = db.session.execute(sa.select(Decision)).scalar_one()
        assert (decision.clinician_id, decision.outcome) == (first, IntakeStatus.DEFERRED)
        assert db.session.get(Intake, intake_id).status is IntakeStatus.DEFERRED


def test_two_simultaneous_decisions_leave_exactly_one(app, setup):
    intake_id, first, second = setup
    start = threading.Barrier(2)

    def clinician(user_id: int, outcome: IntakeStatus) -> Callable[[], str]:
        def go() -> str:
            start.wait(10)
            return _decide(app, intake_id, user_id, outcome, IntakeStatus.NEEDS_REVIEW, None)

        return go

    results = _run(
        clinician(first, IntakeStatus.NOT_SUITABLE), clinician(second, IntakeStatus.CLEARED)
    )

    assert sorted(map(str, results)) == ["recorded", "refused"], results
    with app.app_context():
        decisions = db.session.execute(sa.select(Decision)).scalars().all()
        assert len(decisions) == 1
        assert db.session.get(Intake, intake_id).status is decisions[0].outcome


def test_two_overlapping_re_decisions_of_a_deferred_intake_leave_one(app, setup):
    """A deferral decided again keeps the status "deferred" possibly; the decision id settles it."""
    intake_id, first, second = setup
    with app.app_context():
        deferral = decisions.record(
            intake_id,
            clinician_id=first,
            outcome=IntakeStatus.DEFERRED,
            note="settle first",
            seen_status=IntakeStatus.NEEDS_REVIEW,
            seen_decision_id=None,
        )
        db.session.commit()
        seen = deferral.id
    first_updated = threading.Event()

    def hold_the_lock() -> None:
        first_updated.set()
        time.sleep(HOLD_SECONDS)

    def one() -> str:
        return _decide(
            app,
            intake_id,
            first,
            IntakeStatus.DEFERRED,
            IntakeStatus.DEFERRED,
            seen,
            before_commit=hold_the_lock,
        )

    def two() -> str:
        assert first_updated.wait(10)
        return _decide(app, intake_id, second, IntakeStatus.CLEARED, IntakeStatus.DEFERRED, seen)

    assert _run(one, two) == ["recorded", "refused"]
    with app.app_context():
        assert count(Decision) == 2
        assert db.session.get(Intake, intake_id).status is IntakeStatus.DEFERRED
