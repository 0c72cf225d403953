"""The audit chain's lock is taken as the transaction commits, after everything else it does.

Every write in the app appends to one hash chain, so every write transaction
queues on one lock (PostgreSQL's ``pg_advisory_xact_lock``), held until it
ends. An event is therefore chained just before the commit: a request holds
the lock for its last statements only, not while it renders a page.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from intake import audit
from intake.extensions import db
from intake.models import AuditEvent, Role
from tests.conftest import BACKEND, count, make_user
from tests.staff.conftest import login_as, make_submitted


def _statements_of(client: FlaskClient, path: str) -> list[str]:
    bind = db.session.get_bind()
    sent: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    sa.event.listen(bind, "before_cursor_execute", capture)
    try:
        assert client.get(path).status_code == HTTPStatus.OK
    finally:
        sa.event.remove(bind, "before_cursor_execute", capture)
    return sent


def _chain_statement(statement: str) -> bool:
    return (
        "pg_advisory_xact_lock" in statement
        or "audit_events" in statement
        or statement.startswith(("RELEASE SAVEPOINT", "COMMIT"))
    )


def test_an_intake_page_chains_its_view_event_after_reading_everything(
    app: Flask, client: FlaskClient, app_ctx: None
) -> None:
    _, intake = make_submitted({"active_acne": "yes"})
    login_as(client, make_user(Role.CLINICIAN))

    sent = _statements_of(client, f"/review/intakes/{intake.id}")

    # The first statement touching the chain comes after every other one.
    first = next(i for i, s in enumerate(sent) if _chain_statement(s))
    assert all(_chain_statement(s) for s in sent[first:]), sent[first:]
    if BACKEND == "postgresql":
        assert "pg_advisory_xact_lock" in sent[first]
    assert any("INSERT INTO audit_events" in s for s in sent[first:])


def test_a_rolled_back_savepoint_or_transaction_drops_its_events(app: Flask, app_ctx: None) -> None:
    before = count(AuditEvent)
    audit.record(audit.Action.LINK_OPENED, actor_kind=audit.ActorKind.PATIENT, target=("link", 1))
    with db.session.begin_nested() as savepoint:
        audit.record(
            audit.Action.LINK_OPENED, actor_kind=audit.ActorKind.PATIENT, target=("link", 2)
        )
        savepoint.rollback()
    db.session.commit()
    rows = db.session.scalars(sa.select(AuditEvent.target_id).where(AuditEvent.id > 0)).all()
    assert count(AuditEvent) == before + 1
    assert 1 in rows and 2 not in rows

    audit.record(audit.Action.LINK_OPENED, actor_kind=audit.ActorKind.PATIENT, target=("link", 3))
    db.session.rollback()
    db.session.commit()
    assert count(AuditEvent) == before + 1


def test_a_transaction_reading_the_log_sees_its_own_events(app: Flask, app_ctx: None) -> None:
    event = audit.record(
        audit.Action.LINK_OPENED, actor_kind=audit.ActorKind.PATIENT, target=("link", 7)
    )
    head = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert head is event and head.target_id == 7
    db.session.commit()
