"""Each busy page sends as many SQL statements with 1,000 rows stored as with 10.

A page whose statement count grows with the rows (one query per row, an N+1)
gets slower the longer a clinic uses it, whatever its speed today. This test
does not time anything: it counts the statements each page sends
(SQLAlchemy's ``before_cursor_execute`` event) with 10 intakes waiting and 10
appointments today, then again with 1,000 of each, and fails if any count
grew. Speed itself is measured by ``bench/http.py`` (bench/README.md).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter as Counter_
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from intake import clock
from intake.extensions import db
from intake.models import (
    Acknowledgment,
    Appointment,
    Decision,
    Intake,
    IntakeLink,
    IntakeStatus,
    Role,
    utcnow,
)
from intake.screening import CURRENT, STEPS
from tests.conftest import all_no, make_appointment, make_user
from tests.patients.conftest import confirm
from tests.staff.conftest import login_as

SMALL, LARGE = 10, 1_000
# Rows per list on one screen of the queue (intake.review.services.PAGE_SIZE).
PAGE_SIZE = 25

# One contraindication, as a waiting intake stores it (the queue explains it).
FLAGS = [
    {
        "code": "ACTIVE_ACNE",
        "severity": "contraindication",
        "title": "Active acne",
        "because": ["active_acne"],
        "source": "article",
    }
]


def _add_rows(n: int, *, clinician_id: int) -> int:
    """Store ``n`` submitted intakes waiting for review, their appointments later today.

    Each has a link, an acknowledgment and a decision (deferred, then reopened
    is not modelled: one earlier decision is enough to make the queue and the
    intake page read decisions). Plain multi-row INSERTs, so 1,000 take a
    moment on either database. Returns the first new intake's id.
    """
    now = utcnow()
    tz = clock.clinic_tz()
    _, day_end = clock.day_bounds(now.astimezone(tz).date())
    # Between now and the end of the clinic's day, so they are "today" for the
    # front desk and "today and later" for the queue.
    span = max((day_end - now).total_seconds() - 120, 60)
    tag = uuid.uuid4().hex[:8]
    appointments = [
        {
            "first_name": f"Pat{i}",
            "last_name": f"Row{tag}",
            "date_of_birth": dt.date(1980, 1, 1) + dt.timedelta(days=i),
            "booking_key": f"{tag}-{i}",
            "first_name_key": f"pat{i}",
            "last_name_key": f"row{tag}",
            "email": None,
            "phone": None,
            "starts_at": now + dt.timedelta(seconds=60 + span * i / n),
            "created_at": now,
        }
        for i in range(n)
    ]
    ids = db.session.scalars(sa.insert(Appointment).returning(Appointment.id), appointments).all()
    answers = all_no() | {"active_acne": "yes"}
    db.session.execute(
        sa.insert(IntakeLink),
        [
            {
                "appointment_id": a,
                "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
                "created_at": now,
                "failed_attempts": 0,
            }
            for a in ids
        ],
    )
    intake_ids = db.session.scalars(
        sa.insert(Intake).returning(Intake.id),
        [
            {
                "appointment_id": a,
                "status": IntakeStatus.NEEDS_REVIEW,
                "answers": answers,
                "answer_links": {},
                "ruleset_version": CURRENT.version,
                "flags": FLAGS,
                "started_at": now,
                "submitted_at": now,
                "updated_at": now,
            }
            for a in ids
        ],
    ).all()
    db.session.execute(
        sa.insert(Acknowledgment),
        [
            {
                "intake_id": i,
                "items": [],
                "text_hash": "sha256:" + "0" * 64,
                "signature_name": "Pat Row",
                "signed_at": now,
            }
            for i in intake_ids
        ],
    )
    db.session.execute(
        sa.insert(Decision),
        [
            {
                "intake_id": i,
                "clinician_id": clinician_id,
                "outcome": IntakeStatus.DEFERRED,
                "previous_status": IntakeStatus.NEEDS_REVIEW,
                "note": "",
                "decided_at": now,
            }
            for i in intake_ids
        ],
    )
    db.session.commit()
    return min(intake_ids)


class Counter:
    """Counts the statements sent to the database while it is installed."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(statement)


def statements_of(client: FlaskClient, path: str) -> list[str]:
    bind = db.session.get_bind()
    counter = Counter()
    sa.event.listen(bind, "before_cursor_execute", counter)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(bind, "before_cursor_execute", counter)
    assert response.status_code == HTTPStatus.OK, path
    return counter.statements


Pages = dict[str, tuple[str, FlaskClient]]


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> Callable[[int], Pages]:
    """Return ``grow(n)``: add ``n`` rows and return each page's path."""
    with app.app_context():
        clinician = make_user(Role.CLINICIAN)
        front_desk = make_user(Role.FRONT_DESK)
        clinician_id = clinician.id
        # The patient whose step page is counted: a real link, confirmed.
        _, token = make_appointment(starts_in=dt.timedelta(days=2))
    assert confirm(client, token).status_code == HTTPStatus.SEE_OTHER
    clinician_client = app.test_client()
    front_desk_client = app.test_client()
    with app.app_context():
        login_as(clinician_client, db.session.merge(clinician))
        login_as(front_desk_client, db.session.merge(front_desk))
    first: list[int] = []

    def grow(n: int) -> Pages:
        with app.app_context():
            first.append(_add_rows(n, clinician_id=clinician_id))
        today = dt.datetime.now(app.config["INTAKE_TZ"]).date().isoformat()
        return {
            "queue": ("/review/", clinician_client),
            "day": (f"/frontdesk/?date={today}", front_desk_client),
            "intake": (f"/review/intakes/{first[0]}", clinician_client),
            "step": (f"/intake/step/{STEPS[0].id}", client),
        }

    return grow


@pytest.mark.parametrize("page", ["queue", "day", "intake", "step"])
def test_statements_per_page_do_not_grow_with_rows(
    app: Flask, world: Callable[[int], Pages], page: str
) -> None:
    path, client = world(SMALL)[page]
    with app.app_context():
        small = statements_of(client, path)
    path, client = world(LARGE - SMALL)[page]
    with app.app_context():
        large = statements_of(client, path)
    repeated = Counter_(statement[:120] for statement in large).most_common(3)
    assert len(large) <= len(small), (
        f"{page}: {len(small)} statements with {SMALL} rows, {len(large)} with {LARGE}; "
        f"most repeated: {repeated}"
    )


def test_front_desk_day_reads_no_answers_flags_or_old_links(
    app: Flask, world: Callable[[int], Pages]
) -> None:
    """The day page shows a status, "signed" and the latest link's state: nothing more is read."""
    pages = world(SMALL)
    path, client = pages["day"]
    with app.app_context():
        # A second, newer link for every appointment today: the first is old.
        appointment_ids = db.session.scalars(sa.select(Intake.appointment_id)).all()
        db.session.execute(sa.update(IntakeLink).values(revoked_at=utcnow()))
        db.session.execute(
            sa.insert(IntakeLink),
            [
                {
                    "appointment_id": a,
                    "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
                    "created_at": utcnow(),
                    "failed_attempts": 0,
                }
                for a in appointment_ids
            ],
        )
        db.session.commit()
        statements = statements_of(client, path)
        page = client.get(path).get_data(as_text=True)
    read = "\n".join(statements)
    for column in (
        "intakes.answers",
        "intakes.flags",
        "intakes.answer_links",
        "acknowledgments.items",
        "acknowledgments.signature_name",
    ):
        assert column not in read, column
    links = [s for s in statements if "FROM intake_links" in s]
    assert links and all("max(intake_links.id)" in s for s in links), links
    # What the rows show still follows the latest link (valid), not the revoked one.
    assert "Link replaced" not in page


def test_queue_shows_one_screen_per_list_and_pages_to_the_rest(
    app: Flask, world: Callable[[int], Pages]
) -> None:
    path, client = world(PAGE_SIZE * 2 + 5)["queue"]
    total = PAGE_SIZE * 2 + 5
    seen: list[str] = []
    url: str | None = path
    screens = 0
    while url is not None:
        html = client.get(url).get_data(as_text=True)
        screens += 1
        # Every screen still counts the whole tab.
        assert f"({total})" in html
        seen += re.findall(r'href="/review/intakes/(\d+)"', html)
        nxt = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert screens == 3
    # Each intake once, in the order of risk then time that the first screen began.
    assert len(seen) == total == len(set(seen))


def test_a_staff_request_reads_its_account_and_session_row_in_one_statement(
    app: Flask, world: Callable[[int], Pages]
) -> None:
    path, client = world(SMALL)["day"]
    with app.app_context():
        statements = statements_of(client, path)
    reads = [s for s in statements if "FROM users" in s or "FROM staff_sessions" in s]
    assert len(reads) == 1, reads


def test_the_queue_reads_answers_only_for_rows_it_has_not_explained_yet(
    app: Flask, world: Callable[[int], Pages]
) -> None:
    """A row's flags explained are kept per process: a second load reads no answers."""
    path, client = world(SMALL)["queue"]
    with app.app_context():
        first = statements_of(client, path)
        again = statements_of(client, path)
        page = client.get(path).get_data(as_text=True)
    assert [s for s in first if "intakes.answers" in s]
    assert not [s for s in again if "intakes.answers" in s], again
    # The kept explanation is the row's own: its flag and the answer behind it.
    assert page.count("ACTIVE_ACNE") == SMALL
    assert page.count("Answer: <strong>Yes</strong>") >= SMALL


def test_a_patient_page_reads_its_session_link_appointment_and_intake_in_one_statement(
    app: Flask, world: Callable[[int], Pages]
) -> None:
    path, client = world(SMALL)["step"]
    with app.app_context():
        statements = statements_of(client, path)
    reads = [s for s in statements if s.lstrip().startswith("SELECT")]
    assert len(reads) == 1, reads
    for table in ("patient_sessions", "intake_links", "appointments", "intakes"):
        assert f"FROM {table}" in reads[0] or f"JOIN {table}" in reads[0], table
