"""Two ``webhooks deliver`` runs at once (real threads, committed database): each event once.

On PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP LOCKED`` plus a lease;
on SQLite the write lock taken by ``BEGIN IMMEDIATE`` serialises the claims.
The invariant is checked on what the receiver got and on the stored rows.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from flask import Flask

from intake.extensions import db
from intake.models import DeliveryStatus, Intake, Role, WebhookDelivery, utcnow
from intake.unit_of_work import transactional
from intake.webhooks import events
from intake.webhooks.delivery import Outcome, Summary, claim, deliver_due, record
from tests.conftest import BACKEND, make_user
from tests.staff.conftest import make_submitted
from tests.webhooks.conftest import Receiver, register

pytestmark = pytest.mark.committed

EVENTS_PER_ROUND = 30
ROUNDS = 3
RUNS = 2


def queue(app: Flask, receiver: Receiver) -> None:
    with app.app_context():
        register(receiver, make_user(Role.ADMIN))
        _booked, intake = make_submitted()
        for _ in range(EVENTS_PER_ROUND * ROUNDS - 1):
            events.enqueue(events.EventType.INTAKE_SUBMITTED, db.session.get(Intake, intake.id))
        db.session.commit()


@pytest.mark.skipif(
    BACKEND != "postgresql", reason="the SKIP LOCKED claim needs PostgreSQL connections"
)
@pytest.mark.postgres_only
def test_two_runs_at_once_deliver_each_event_exactly_once_on_postgresql(
    app: Flask, receiver: Receiver
):
    two_runs_at_once(app, receiver)


@pytest.mark.skipif(BACKEND != "sqlite", reason="the PostgreSQL test above covers it there")
def test_two_runs_at_once_deliver_each_event_exactly_once_on_sqlite(
    app: Flask, receiver: Receiver
):
    two_runs_at_once(app, receiver)


def two_runs_at_once(app: Flask, receiver: Receiver) -> None:
    queue(app, receiver)
    receiver.delay = 0.005  # long enough for the runs to overlap on every row
    totals: list[Summary] = []
    for _round in range(ROUNDS):
        results = one_round(app)
        assert all(r.failed == r.gave_up == r.lost == 0 for r in results), results
        totals.extend(results)

    got = Counter(r.headers["Intake-Event-Id"] for r in receiver.received)
    assert len(got) == EVENTS_PER_ROUND * ROUNDS
    assert set(got.values()) == {1}, [e for e, n in got.items() if n > 1]
    assert all(r.valid for r in receiver.received)
    assert sum(t.delivered for t in totals) == EVENTS_PER_ROUND * ROUNDS
    # Both runs did some of the work in at least one round.
    assert all(t.delivered for t in totals[:RUNS]) or all(t.delivered for t in totals[RUNS:])
    with app.app_context():
        stored = db.session.execute(
            sa.select(WebhookDelivery.status, WebhookDelivery.attempts)
        ).all()
    assert {(s, a) for s, a in stored} == {(DeliveryStatus.DELIVERED, 1)}
    assert len(stored) == EVENTS_PER_ROUND * ROUNDS


def one_round(app: Flask) -> list[Summary]:
    """Start RUNS deliver runs at the same moment, in threads; return their summaries."""
    barrier = threading.Barrier(RUNS)
    results: list[Summary] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait()
                results.append(deliver_due(limit=EVENTS_PER_ROUND // RUNS))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return results


def test_a_run_that_died_mid_send_leaves_its_row_for_a_later_run(app: Flask, receiver: Receiver):
    with app.app_context():
        register(receiver, make_user(Role.ADMIN))
        make_submitted()
        # A run claims the row, then dies before it records anything.
        claimed = transactional(claim)(utcnow(), [])
        assert claimed is not None
    with app.app_context():
        assert deliver_due().delivered == 0, "a leased row was taken by another run"
        db.session.execute(
            sa.update(WebhookDelivery).values(lease_until=utcnow() - dt.timedelta(seconds=1))
        )
        db.session.commit()
    with app.app_context():
        summary = deliver_due()
        assert summary.delivered == 1
        # The dead run's attempt counts.
        row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
        assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)
        # Its late outcome no longer holds the lease, and changes nothing.
        assert transactional(record)(claimed, Outcome(False, error="HTTP 500")) == "lost"
        db.session.refresh(row)
        assert row.status is DeliveryStatus.DELIVERED and row.last_error is None
    assert len(receiver.received) == 1
