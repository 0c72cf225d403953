"""The review queue lists the most serious first, then the soonest, and counts each tab."""

from __future__ import annotations

import datetime as dt
import html
import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import clock
from intake.extensions import db
from intake.models import Intake, IntakeStatus, Role
from intake.review import services
from intake.review.views import TABS, WAITING
from tests.conftest import make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def clinician(client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    return user


def names_in_order(page: str, names: list[str]) -> list[str]:
    """The given names sorted by where the page first shows each."""
    return sorted(names, key=page.index)


def queue_rows(response) -> list[str]:
    """The patient names of the queue's rows, in page order."""
    body = html.unescape(response.get_data(as_text=True))
    return re.findall(r'<a href="/review/intakes/\d+">([^<]+)</a>', body)


def test_contraindications_then_precautions_then_the_soonest(client, clinician):
    # Booked in an order that is none of the expected ones.
    make_submitted({"acne_prone": "yes"}, first_name="Precsoon", starts_in=dt.timedelta(hours=2))
    make_submitted({"active_acne": "yes"}, first_name="Contralate", starts_in=dt.timedelta(days=9))
    make_submitted({"blood_thinners": "yes"}, first_name="Preclate", starts_in=dt.timedelta(days=4))
    make_submitted(
        {"numbing_allergy": "yes", "acne_prone": "yes"},
        first_name="Contrasoon",
        starts_in=dt.timedelta(days=1),
    )

    rows = queue_rows(client.get("/review/"))

    assert rows == [
        "Contrasoon Example",
        "Contralate Example",
        "Precsoon Example",
        "Preclate Example",
    ]


def test_passed_appointments_are_ordered_by_risk_then_most_recent(client, clinician):
    older, _ = make_submitted({"active_acne": "yes"}, first_name="Contraold")
    recent, _ = make_submitted({"acne_prone": "yes"}, first_name="Precrecent")
    newer, _ = make_submitted({"active_acne": "yes"}, first_name="Contranew")
    older.starts_at -= dt.timedelta(days=6)
    recent.starts_at -= dt.timedelta(days=2)
    newer.starts_at -= dt.timedelta(days=3)
    db.session.commit()

    rows = queue_rows(client.get("/review/"))

    assert rows == ["Contranew Example", "Contraold Example", "Precrecent Example"]


def test_the_order_is_the_databases_so_a_limit_keeps_the_most_serious(clinician):
    for days in range(1, 4):
        make_submitted(
            {"acne_prone": "yes"}, first_name=f"Prec{days}", starts_in=dt.timedelta(days=days)
        )
    make_submitted({"active_acne": "yes"}, first_name="Contra", starts_in=dt.timedelta(days=20))
    since, _ = clock.day_bounds(clock.clinic_today())

    upcoming, _earlier = services.queue(TABS["needs_review"], since=since, limit=2)

    assert [e.full_name.split()[0] for e in upcoming.entries] == ["Contra", "Prec1"]
    assert upcoming.more


def test_each_tab_shows_its_count_as_text(client, clinician):
    make_submitted({"active_acne": "yes"}, first_name="Waitone")
    make_submitted({"acne_prone": "yes"}, first_name="Waittwo")
    passed, _ = make_submitted({"acne_prone": "yes"}, first_name="Waitpassed")
    passed.starts_at -= dt.timedelta(days=5)
    make_submitted(first_name="Readyone")
    old_ready, _ = make_submitted(first_name="Readyold")
    old_ready.starts_at -= dt.timedelta(days=5)
    db.session.commit()

    response = client.get("/review/")
    assert response.status_code == HTTPStatus.OK
    page = " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())

    # Waiting intakes count wherever their appointment is; ready ones from today on.
    assert "Needs review (3)" in page
    assert "Deferred (0)" in page
    assert "Ready (nothing to decide) (1)" in page
    assert "Decided (0)" in page


def test_counts_take_two_statements_however_many_intakes(app, clinician):
    since, _ = clock.day_bounds(clock.clinic_today())
    statements: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    def counted() -> tuple[dict[str, int], int]:
        statements.clear()
        bind = db.session.get_bind()
        sa.event.listen(bind, "before_cursor_execute", capture)
        try:
            counts = services.tab_counts(TABS, waiting=WAITING, since=since)
        finally:
            sa.event.remove(bind, "before_cursor_execute", capture)
        return counts, len(statements)

    make_submitted({"active_acne": "yes"}, first_name="One")
    _, few = counted()
    for n in range(5):
        make_submitted({"acne_prone": "yes"}, first_name=f"More{n}")
    counts, many = counted()

    assert few == many == 2
    assert counts["needs_review"] == 6
    waiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Intake)
        .where(Intake.status == IntakeStatus.NEEDS_REVIEW)
    )
    assert counts["needs_review"] == waiting


@pytest.mark.parametrize("tab", ["needs_review", "deferred", "ready", "decided"])
def test_the_queue_page_sends_as_many_statements_for_many_intakes_as_for_one(
    client, clinician, tab
):
    def selects_for_page() -> int:
        statements: list[str] = []

        def capture(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        bind = db.session.get_bind()
        sa.event.listen(bind, "before_cursor_execute", capture)
        try:
            assert client.get(f"/review/?show={tab}").status_code == HTTPStatus.OK
        finally:
            sa.event.remove(bind, "before_cursor_execute", capture)
        return len(statements)

    make_submitted({"active_acne": "yes"}, first_name="First")
    make_submitted(first_name="Firstready")
    one = selects_for_page()
    for n in range(6):
        make_submitted({"acne_prone": "yes"} if n % 2 else {}, first_name=f"More{n}")
    many = selects_for_page()

    assert one == many


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_a_cancelled_appointment_leaves_the_queue_and_its_count(client, clinician):
    from intake import appointments

    make_submitted({"active_acne": "yes"}, first_name="Staying", starts_in=dt.timedelta(hours=3))
    gone, _intake = make_submitted(
        {"active_acne": "yes"}, first_name="Leaving", starts_in=dt.timedelta(hours=5)
    )
    before = client.get("/review/")
    assert queue_rows(before) == ["Staying Example", "Leaving Example"]
    assert "Needs review (2)" in text_of(before)

    appointments.cancel(gone.id)
    db.session.commit()

    after = client.get("/review/")
    assert queue_rows(after) == ["Staying Example"]
    assert "Needs review (1)" in text_of(after)


@pytest.mark.parametrize("offset", ["²", "٣", "1" * 30, "-1", "2.5", "abc"])
def test_a_queue_offset_that_is_not_a_plain_count_shows_the_first_screen(
    client, clinician, offset
):
    make_submitted({"active_acne": "yes"}, first_name="Firstscreen")

    for name in ("from", "earlier_from"):
        response = client.get("/review/", query_string={name: offset})

        assert response.status_code == HTTPStatus.OK
        assert "Firstscreen" in response.get_data(as_text=True)
