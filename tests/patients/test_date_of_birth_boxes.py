"""The date of birth in three boxes (GOV.UK's date input) on the patient's link page.

An incomplete or impossible date gets a message that names what is wrong and
never counts as a wrong guess; the single ``date_of_birth=YYYY-MM-DD`` field of
CONTRACT section 6 keeps working.
"""

from __future__ import annotations

import datetime as dt
import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake.date_input import read_iso, read_parts
from intake.extensions import db
from intake.models import IntakeLink
from tests.conftest import make_appointment

DAY, MONTH, YEAR = "17", "5", "1990"  # make_appointment's date of birth


def boxes(day: str, month: str, year: str) -> dict[str, str]:
    return {"date_of_birth-day": day, "date_of_birth-month": month, "date_of_birth-year": year}


def failed_attempts() -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(IntakeLink.failed_attempts)).scalar_one()


@pytest.fixture
def token(app):
    with app.app_context():
        _appointment, token = make_appointment()
    return token


@pytest.mark.parametrize(
    ("typed", "problem", "at_fault"),
    [
        (("", "", ""), "required", ("day", "month", "year")),
        (("3", "", "1985"), "missing", ("month",)),
        (("", "", "1985"), "missing", ("day", "month")),
        (("3", "4", ""), "missing", ("year",)),
        (("3", "13", "1985"), "real", ("month",)),
        (("30", "2", "1985"), "real", ("day",)),
        (("x", "4", "1985"), "real", ("day",)),
        (("3", "4", "85"), "year_digits", ("year",)),
        (("٣", "4", "1985"), "real", ("day",)),  # digits, but not ones we read
    ],
)
def test_read_parts_names_what_is_wrong(typed, problem, at_fault):
    reading = read_parts(*typed)
    assert (reading.date, reading.problem, reading.at_fault) == (None, problem, at_fault)


def test_read_parts_and_read_iso_read_real_dates():
    assert read_parts(" 03 ", "4", "1985").date == dt.date(1985, 4, 3)
    assert read_parts("29", "2", "2000").date == dt.date(2000, 2, 29)
    assert read_iso(" 1985-04-03 ").date == dt.date(1985, 4, 3)
    assert read_iso("19850403").problem == "real"  # only YYYY-MM-DD
    assert read_iso("").problem == "required"


def test_the_right_date_in_the_boxes_opens_the_intake(app, client, token):
    client.get(f"/i/{token}")
    response = client.post(f"/i/{token}", data=boxes(DAY, MONTH, YEAR))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/intake/"


def test_the_single_iso_field_of_the_contract_still_works(app, client, token):
    response = client.post(f"/i/{token}", data={"date_of_birth": "1990-05-17"})
    assert response.status_code == HTTPStatus.SEE_OTHER


@pytest.mark.parametrize(
    ("typed", "message", "at_fault"),
    [
        (("17", "", "1990"), "Date of birth must include a month", {"month"}),
        (("", "", "1990"), "Date of birth must include a day and month", {"day", "month"}),
        (("31", "2", "1990"), "Date of birth must be a real date", {"day"}),
        (("17", "5", "90"), "Year must include 4 numbers", {"year"}),
        (("1", "1", "2999"), "Date of birth must be in the past", {"year"}),
        (("", "", ""), "Enter your date of birth.", {"day", "month", "year"}),
    ],
)
def test_an_incomplete_or_impossible_date_is_explained_and_not_a_wrong_guess(
    app, client, token, typed, message, at_fault
):
    client.get(f"/i/{token}")
    # More times than the lock allows: none of them counts.
    for _ in range(6):
        response = client.post(f"/i/{token}", data=boxes(*typed))
        assert response.status_code == HTTPStatus.OK
    page = response.get_data(as_text=True)
    assert message in page
    assert "does not match" not in page
    # The summary leads to the first box at fault; only those boxes are marked.
    first = next(p for p in ("day", "month", "year") if p in at_fault)
    assert f'href="#date_of_birth-{first}"' in page
    for part, value in zip(("day", "month", "year"), typed, strict=True):
        field = re.search(rf'<input[^>]*name="date_of_birth-{part}"[^>]*>', page).group(0)
        assert f'value="{value}"' in field  # what was typed is put back
        assert ('aria-invalid="true"' in field) == (part in at_fault)
    assert 'aria-describedby="date_of_birth-hint date_of_birth-error"' in page
    with app.app_context():
        assert failed_attempts() == 0
    # And the right date still works at once.
    assert client.post(f"/i/{token}", data=boxes(DAY, MONTH, YEAR)).status_code == 303


def test_a_real_but_wrong_date_counts_marks_every_box_and_stays_typed(app, client, token):
    client.get(f"/i/{token}")
    response = client.post(f"/i/{token}", data=boxes("1", "2", "1991"))
    page = response.get_data(as_text=True)
    assert "does not match" in page
    assert page.count('aria-invalid="true"') == 3
    assert 'name="date_of_birth-day" value="1"' in page
    assert 'name="date_of_birth-year" value="1991"' in page
    assert 'aria-describedby="date_of_birth-hint date_of_birth-error date_of_birth-tries"' in page
    with app.app_context():
        assert failed_attempts() == 1


def test_five_unreadable_then_five_wrong_dates_lock_only_after_the_wrong_ones(app, client, token):
    client.get(f"/i/{token}")
    for _ in range(5):
        client.post(f"/i/{token}", data=boxes("40", "40", "1990"))
    with app.app_context():
        assert failed_attempts() == 0
    for _ in range(4):
        assert client.post(f"/i/{token}", data=boxes("1", "2", "1991")).status_code == 200
    assert client.post(f"/i/{token}", data=boxes("1", "2", "1991")).status_code == 423
