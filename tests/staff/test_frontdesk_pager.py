"""The day page shows one screen of appointments at a time, opening on the current time."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid

import pytest
import sqlalchemy as sa

from intake.clock import clinic_today, day_bounds
from intake.extensions import db
from intake.frontdesk.services import PAGE_SIZE
from intake.models import Acknowledgment, Appointment, Intake, IntakeStatus, Role, utcnow
from intake.screening import CURRENT
from tests.conftest import all_no, make_user
from tests.staff.conftest import login_as
from tests.staff.test_frontdesk import visible

pytestmark = pytest.mark.usefixtures("app_ctx")

TODAY = 200
# Five minutes apart from 06:00: the 108 before 15:00 have started at 15:00.
FIRST, STEP = dt.timedelta(hours=6), dt.timedelta(minutes=5)
STARTED_AT_THREE = 108


@pytest.fixture
def desk(client):
    user = make_user(Role.FRONT_DESK)
    login_as(client, user)
    return user


def waits(i: int) -> IntakeStatus | None:
    """Every tenth appointment waits for a clinician, every other one of them deferred."""
    if i % 10 == 3:
        return IntakeStatus.NEEDS_REVIEW
    if i % 10 == 7:
        return IntakeStatus.DEFERRED
    return None


def add_day(day: dt.date, n: int, *, tag: str) -> list[int]:
    """Store ``n`` appointments on ``day`` (plain INSERTs): some waiting, some signed."""
    start, _ = day_bounds(day)
    now = utcnow()
    ids = db.session.scalars(
        sa.insert(Appointment).returning(Appointment.id),
        [
            {
                "first_name": f"Pat{i:03d}",
                "last_name": "O'Pager<b>" if i == 5 else tag,
                "date_of_birth": dt.date(1980, 1, 1) + dt.timedelta(days=i),
                "booking_key": f"{tag}-{uuid.uuid4().hex}",
                "first_name_key": f"pat{i:03d}",
                "last_name_key": tag.casefold(),
                "starts_at": start + FIRST + STEP * i,
                "created_at": now,
            }
            for i in range(n)
        ],
    ).all()
    intakes = {}
    for i, appointment_id in enumerate(ids):
        status = waits(i) or (IntakeStatus.READY if i % 4 == 1 else None)
        if status is None:
            continue
        intakes[i] = db.session.scalars(
            sa.insert(Intake).returning(Intake.id),
            [
                {
                    "appointment_id": appointment_id,
                    "status": status,
                    "answers": all_no(),
                    "answer_links": {},
                    "ruleset_version": CURRENT.version,
                    "flags": [],
                    "started_at": now,
                    "submitted_at": now,
                    "updated_at": now,
                }
            ],
        ).one()
    db.session.execute(
        sa.insert(Acknowledgment),
        [
            {
                "intake_id": intake_id,
                "items": [],
                "text_hash": "sha256:" + "0" * 64,
                "signature_name": "Pat",
                "signed_at": now,
            }
            for intake_id in intakes.values()
        ],
    )
    db.session.commit()
    return ids


@pytest.fixture
def busy_day(monkeypatch):
    """200 appointments today, 60 tomorrow; the page's clock says 15:00 today."""
    today = clinic_today()
    ids = add_day(today, TODAY, tag="Pager")
    add_day(today + dt.timedelta(days=1), 60, tag="Morrow")
    # One waiting appointment, cancelled: it leaves the alert.
    cancelled = db.session.get(Appointment, ids[13])
    cancelled.cancelled_at = utcnow()
    cancelled.booking_key = None
    db.session.commit()
    three_pm = day_bounds(today)[0] + dt.timedelta(hours=15)
    monkeypatch.setattr("intake.frontdesk.views.utcnow", lambda: three_pm)
    return today


def table_rows(body: str) -> list[str]:
    """The names in the table's rows, in order: ``Pat123``."""
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S).group(1)
    return re.findall(r"<tr[^>]*>.*?(Pat\d{3}).*?</tr>", tbody, re.S)


def pager(body: str) -> dict[str, str]:
    nav = re.search(r'<nav class="pager" aria-label="([^"]+)">(.*?)</nav>', body, re.S)
    assert nav, "no pager"
    links = {
        rel: html.unescape(href)
        for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)">', nav.group(2))
    }
    return {
        "label": nav.group(1),
        "text": " ".join(re.sub(r"<[^>]+>", " ", nav.group(2)).split()),
    } | links


def test_today_opens_on_the_screen_holding_the_current_time(client, desk, busy_day):
    response = client.get("/frontdesk/")
    body = response.get_data(as_text=True)

    rows = table_rows(body)
    assert len(rows) == PAGE_SIZE == 50
    # 108 have started by 15:00: the first one not started, Pat108, is on 101-150.
    assert rows[0] == "Pat100" and rows[-1] == "Pat149"
    assert f"Pat{STARTED_AT_THREE:03d}" in rows
    nav = pager(body)
    assert nav["label"] == "Appointments on this day"
    assert "Showing 101 to 150 of 200" in nav["text"]
    day = busy_day.isoformat()
    assert nav["prev"] == f"/frontdesk/?date={day}&from=50"
    assert nav["next"] == f"/frontdesk/?date={day}&from=150"
    assert "200 appointments on" in visible(response) and "101 to 150" in visible(response)


def test_the_earlier_and_later_links_page_through_the_day_in_time_order(client, desk, busy_day):
    day = busy_day.isoformat()
    seen: list[str] = []
    path: str | None = f"/frontdesk/?date={day}&from=0"
    while path:
        body = client.get(path).get_data(as_text=True)
        seen += table_rows(body)
        path = pager(body).get("next")
    assert seen == [f"Pat{i:03d}" for i in range(TODAY)]

    first = pager(client.get(f"/frontdesk/?date={day}&from=0").get_data(as_text=True))
    assert "prev" not in first and "Showing 1 to 50 of 200" in first["text"]
    last = client.get(f"/frontdesk/?date={day}&from=150").get_data(as_text=True)
    assert "next" not in pager(last) and "Showing 151 to 200 of 200" in pager(last)["text"]
    assert pager(last)["prev"] == f"/frontdesk/?date={day}&from=100"
    # Past the end: the last screen, not an empty one.
    beyond = client.get(f"/frontdesk/?date={day}&from=5000").get_data(as_text=True)
    assert table_rows(beyond)[0] == "Pat150"


@pytest.mark.parametrize(
    "offset", ["abc", "-50", "1e2", "5.0", "\u00b2", "\u0665", "99999999999999", "", " 50"]
)
def test_a_bad_offset_opens_the_default_screen(client, desk, busy_day, offset):
    response = client.get("/frontdesk/", query_string={"from": offset})
    assert response.status_code == 200
    assert table_rows(response.get_data(as_text=True))[0] == "Pat100"


def test_another_day_opens_on_its_first_screen_without_the_alert(client, desk, busy_day):
    day = (busy_day + dt.timedelta(days=1)).isoformat()
    body = client.get(f"/frontdesk/?date={day}").get_data(as_text=True)
    assert table_rows(body)[0] == "Pat000" and len(table_rows(body)) == 50
    nav = pager(body)
    assert "Showing 1 to 50 of 60" in nav["text"]
    assert nav["next"] == f"/frontdesk/?date={day}&from=50"
    assert 'class="attention"' not in body


def test_the_alert_lists_every_waiting_appointment_of_today_on_any_screen(client, desk, busy_day):
    expected = sorted(f"Pat{i:03d}" for i in range(TODAY) if waits(i) is not None and i != 13)
    assert len(expected) == 39
    for offset in ("0", "100", "150", ""):
        body = client.get("/frontdesk/", query_string={"from": offset}).get_data(as_text=True)
        alert = re.search(r'<section class="attention".*?</section>', body, re.S).group(0)
        assert "Today: 39 patients still waiting for a clinician" in alert
        listed = re.findall(r"<li>.*?(Pat\d{3}).*?</li>", alert, re.S)
        assert listed == expected
        assert "Waiting for a clinician" in alert and "Deferred" in alert
        # The rows on this screen that wait carry the marker (words, not colour only).
        marked = re.findall(r'<tr class="waiting">.*?(Pat\d{3})', body, re.S)
        assert marked == [name for name in table_rows(body) if name in expected]


def test_a_screens_rows_show_status_links_and_escape_names(client, desk, busy_day):
    body = client.get("/frontdesk/?from=0").get_data(as_text=True)
    ids = db.session.execute(
        sa.select(Appointment.id, Appointment.first_name).where(Appointment.last_name != "Morrow")
    ).all()
    by_name = {name: id_ for id_, name in ids}
    assert f'<a href="/frontdesk/appointments/{by_name["Pat001"]}">' in body
    # Pat001 is ready and signed: its acknowledgment prints from the list.
    assert (
        f'<a class="small" href="/frontdesk/appointments/{by_name["Pat001"]}/acknowledgment">'
        in body
    )
    assert "for Pat001 Pager" in body
    # A name is escaped wherever a row shows it.
    assert "O'Pager<b>" not in body
    assert "O&#39;Pager&lt;b&gt;, Pat005" in body
    assert "for Pat005 O&#39;Pager&lt;b&gt;" in body
    # Pat003 waits; Pat000 never started and has no link.
    row = re.search(r'<tr class="waiting">.*?Pat003.*?</tr>', body, re.S).group(0)
    assert "Waiting for a clinician" in row
    row = re.search(
        r"<tr>\s*<td[^>]*>[^<]*</td>\s*<td><a[^>]*>Pager, Pat000</a>.*?</tr>", body, re.S
    )
    assert row and "Not started" in row.group(0) and "No link" in row.group(0)
