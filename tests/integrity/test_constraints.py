"""The invariants the database holds itself, present after ``db upgrade`` on both databases.

Every test database is made by the migrations (see ``tests/conftest.py``), so
what is checked here is what ``flask db upgrade`` builds. Each bad write is
plain SQL, as a future bug or a statement typed by hand would send it, inside
a savepoint: the database must refuse it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from intake import decisions, intakes, links
from intake.extensions import db
from intake.models import IntakeStatus, Role
from intake.screening import AFTERCARE_CODES, aftercare_hash
from tests.conftest import BACKEND, all_no, bypass_append_only, make_appointment, make_user

pytestmark = pytest.mark.usefixtures("app_ctx")

on_postgresql = pytest.mark.skipif(
    BACKEND != "postgresql", reason="the triggers are PostgreSQL's (CONTRACT: SQLite is embedded)"
)


@contextmanager
def refused(match: str, error: type[Exception] = sa.exc.IntegrityError) -> Iterator[None]:
    """Expect the database to refuse the statements inside, naming ``match``; undo them.

    The error's type and text are checked, so a statement that fails for
    another reason (a typo in a column name) does not pass for a refusal.
    """
    savepoint = db.session.begin_nested()
    with pytest.raises(error, match=match):
        db.session.flush()
        yield
        db.session.flush()
    savepoint.rollback()


def sql(statement: str, **params: object) -> None:
    db.session.execute(sa.text(statement), params)


def _submitted(answers: dict[str, str] | None = None) -> int:
    appointment, _token = make_appointment()
    intake_id = appointment.intake.id
    intakes.start(intake_id)
    appointment.intake.answers = all_no() | (answers or {})
    intakes.submit(
        intake_id, items=AFTERCARE_CODES, text_hash=aftercare_hash(), signature_name="Robin"
    )
    db.session.commit()
    return intake_id


def test_the_schema_names_every_invariant():
    inspector = sa.inspect(db.session.connection())
    indexes = {i["name"]: i for i in inspector.get_indexes("intake_links")}
    assert indexes["uq_intake_links_open_per_appointment"]["unique"]
    uniques = {
        table: {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        | {tuple(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]}
        for table in ("appointments", "intakes", "acknowledgments", "audit_events")
    }
    assert ("booking_key",) in uniques["appointments"]
    assert ("appointment_id",) in uniques["intakes"]
    assert ("intake_id",) in uniques["acknowledgments"]
    assert ("prev_hash",) in uniques["audit_events"]
    checks = {
        c["name"]
        for table in ("intakes", "decisions", "intake_links")
        for c in inspector.get_check_constraints(table)
    }
    assert {
        "ck_intakes_submitted_fields",
        "ck_decisions_permitted_transition",
        "ck_intake_links_failed_attempts_not_negative",
    } <= checks


def test_a_second_open_link_for_one_appointment_is_refused():
    appointment, _token = make_appointment()
    with refused("uq_intake_links_open_per_appointment|UNIQUE"):
        sql(
            "INSERT INTO intake_links (appointment_id, token_hash, created_at, failed_attempts) "
            "VALUES (:a, :h, CURRENT_TIMESTAMP, 0)",
            a=appointment.id,
            h="f" * 64,
        )
    # A revoked one is history and is allowed beside the open one.
    links.issue(appointment.id)
    db.session.flush()


def test_a_second_intake_and_a_second_acknowledgment_are_refused():
    intake_id = _submitted()
    with refused("appointment_id"):
        sql(
            "INSERT INTO intakes (appointment_id, status, answers, updated_at) "
            "SELECT appointment_id, 'not_started', '{}', updated_at "
            "FROM intakes WHERE id = :i",
            i=intake_id,
        )
    with refused("intake_id"):
        sql(
            "INSERT INTO acknowledgments (intake_id, items, text_hash, signature_name, signed_at) "
            "SELECT intake_id, items, text_hash, 'Someone Else', signed_at "
            "FROM acknowledgments WHERE intake_id = :i",
            i=intake_id,
        )


def test_the_same_booking_twice_is_refused_whatever_the_letter_case():
    appointment, _token = make_appointment(first_name="Émile", last_name="Straße")
    with refused("booking_key"):
        sql(
            "INSERT INTO appointments (first_name, last_name, date_of_birth, starts_at, "
            "created_at, booking_key, first_name_key, last_name_key) "
            "SELECT 'ÉMILE', 'STRASSE', date_of_birth, starts_at, created_at, booking_key, "
            "first_name_key, last_name_key FROM appointments WHERE id = :a",
            a=appointment.id,
        )


def test_a_status_that_is_not_one_is_refused():
    # A submitted intake, so only the status check can object to the change.
    intake_id = _submitted()
    # Past the PostgreSQL trigger (which refuses it too), to reach the check itself.
    bypass_append_only()
    with refused("ck_intakes_intake_status"):
        sql("UPDATE intakes SET status = 'approved' WHERE id = :i", i=intake_id)


def test_submitted_fields_are_written_together():
    appointment, _token = make_appointment()
    intakes.start(appointment.intake.id)
    db.session.commit()
    # A status that says "submitted" without the submission, and the reverse.
    with refused("ck_intakes_submitted_fields"):
        sql("UPDATE intakes SET status = 'ready' WHERE id = :i", i=appointment.intake.id)
    with refused("ck_intakes_submitted_fields"):
        sql(
            "UPDATE intakes SET submitted_at = CURRENT_TIMESTAMP, ruleset_version = 'rs-x' "
            "WHERE id = :i",
            i=appointment.intake.id,
        )


def test_a_decision_from_a_status_no_decision_may_follow_is_refused():
    intake_id = _submitted()  # all "no": ready, nothing to decide
    clinician = make_user(Role.CLINICIAN)
    with refused("ck_decisions_permitted_transition"):
        sql(
            "INSERT INTO decisions (intake_id, clinician_id, outcome, previous_status, note, "
            "decided_at) VALUES (:i, :c, 'cleared', 'ready', '', CURRENT_TIMESTAMP)",
            i=intake_id,
            c=clinician.id,
        )
    with refused("ck_decisions_permitted_transition"):
        sql(
            "INSERT INTO decisions (intake_id, clinician_id, outcome, previous_status, note, "
            "decided_at) VALUES (:i, :c, 'needs_review', 'needs_review', '', CURRENT_TIMESTAMP)",
            i=intake_id,
            c=clinician.id,
        )


def test_a_negative_attempt_count_is_refused():
    appointment, _token = make_appointment()
    with refused("ck_intake_links_failed_attempts_not_negative"):
        sql(
            "UPDATE intake_links SET failed_attempts = -1 WHERE appointment_id = :a",
            a=appointment.id,
        )


@on_postgresql
def test_postgresql_refuses_a_status_change_no_decision_allows():
    intake_id = _submitted({"active_acne": "yes"})
    decisions.record(
        intake_id,
        clinician_id=make_user(Role.CLINICIAN).id,
        outcome=IntakeStatus.CLEARED,
        note="",
        seen_status=IntakeStatus.NEEDS_REVIEW,
        seen_decision_id=None,
    )
    db.session.commit()
    # Back from a decision to waiting, or straight to another outcome.
    for status in ("needs_review", "not_suitable", "in_progress"):
        with refused("status may not change"):
            sql("UPDATE intakes SET status = :s WHERE id = :i", s=status, i=intake_id)


@on_postgresql
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("answers", """'{"active_acne": "no"}'"""),
        ("flags", "'[]'"),
        ("ruleset_version", "'rs-000000000000'"),
        ("submitted_at", "CURRENT_TIMESTAMP"),
    ],
)
def test_postgresql_freezes_what_was_submitted(column: str, value: str):
    intake_id = _submitted({"active_acne": "yes"})
    with refused("frozen once submitted"):
        sql(f"UPDATE intakes SET {column} = {value} WHERE id = :i", i=intake_id)  # noqa: S608


@on_postgresql
@pytest.mark.parametrize("table", ["acknowledgments", "decisions", "audit_events"])
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}", "TRUNCATE {table} CASCADE"]
)
def test_postgresql_keeps_history_append_only(table: str, statement: str):
    intake_id = _submitted({"active_acne": "yes"})
    decisions.record(
        intake_id,
        clinician_id=make_user(Role.CLINICIAN).id,
        outcome=IntakeStatus.DEFERRED,
        note="Call the patient first.",
        seen_status=IntakeStatus.NEEDS_REVIEW,
        seen_decision_id=None,
    )
    db.session.commit()
    with refused(f"{table} is append-only", sa.exc.ProgrammingError):
        sql(statement.format(table=table))


@on_postgresql
def test_postgresql_triggers_are_installed():
    names = set(db.session.scalars(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    assert {
        "intakes_guard",
        "acknowledgments_append_only",
        "acknowledgments_no_truncate",
        "decisions_append_only",
        "decisions_no_truncate",
        "audit_events_append_only",
        "audit_events_no_truncate",
    } <= names
