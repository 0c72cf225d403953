"""The audit log's CSV export: the current filter, streamed, safe cells, and itself audited."""

from __future__ import annotations

import csv
import io
import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import audit
from intake.admin import services
from intake.admin.services import csv_cell
from intake.extensions import db
from intake.models import AuditEvent, Role
from tests.conftest import make_user
from tests.staff.conftest import login_as, sign_in

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def admin(client):
    user = make_user(Role.ADMIN)
    login_as(client, user)
    return user


def read_csv(response) -> list[dict[str, str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_the_export_is_the_filtered_log_streamed_with_a_safe_name(client, client_for, admin):
    person = make_user(Role.CLINICIAN)
    sign_in(client_for(), person.email)
    sign_in(client_for(), person.email, "a wrong password, typed badly")

    response = client.get(
        "/admin/audit.csv", query_string={"action": audit.Action.SIGN_IN_FAILED.value}
    )

    assert response.status_code == HTTPStatus.OK
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="intake-audit-\d{8}-\d{4}\.csv"', disposition)
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert [r["action"] for r in rows] == [audit.Action.SIGN_IN_FAILED.value]
    assert rows[0]["action_label"] == "Sign-in failed"
    assert rows[0]["actor"] == "not signed in"


def test_the_export_is_itself_an_audit_event_with_its_filter(client, admin):
    response = client.get("/admin/audit.csv", query_string={"actor": str(admin.id)})
    response.get_data()
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == audit.Action.AUDIT_EXPORTED.value)
    ).scalar_one()
    assert event.actor_id == admin.id
    assert event.detail["actor"] == admin.id
    assert "filter_action" not in event.detail  # no restriction, no key
    # The export covers what was there before it; its own event is in the next one.
    assert all(int(r["event_id"]) < event.id for r in read_csv(response))
    again = read_csv(client.get("/admin/audit.csv"))
    assert audit.Action.AUDIT_EXPORTED.value in [r["action"] for r in again]


def test_the_export_reads_in_batches_and_keeps_every_event_in_order(client, admin, monkeypatch):
    monkeypatch.setattr(services, "EXPORT_BATCH", 3)
    for _ in range(8):
        audit.record(audit.Action.TOTP_KEYS_ROTATED, actor_kind=audit.ActorKind.SYSTEM, count=0)
    db.session.commit()
    expected = list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id.desc())))

    rows = read_csv(client.get("/admin/audit.csv"))

    assert [int(r["event_id"]) for r in rows] == expected


def test_cells_a_spreadsheet_would_run_are_made_text(client, client_for, admin):
    # A valid address can start with "=": as the actor of a sign-in it would
    # be a formula in the actor column.
    person = make_user(Role.FRONT_DESK, email="=cmd@clinic.test")
    sign_in(client_for(), person.email)

    rows = read_csv(client.get("/admin/audit.csv"))

    actors = [r["actor"] for r in rows]
    assert "'=cmd@clinic.test" in actors
    assert "=cmd@clinic.test" not in actors
    assert not any(c.startswith(("=", "+", "-", "@")) for r in rows for c in r.values())


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_csv_cell_prefixes_formula_starts(value, cell):
    assert csv_cell(value) == cell


def test_an_invalid_filter_exports_nothing_and_says_why(client, admin):
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = client.get("/admin/audit.csv", query_string={"date_from": "2026-13-45"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"].startswith("/admin/audit?")
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK])
def test_only_admins_may_export(client, role):
    login_as(client, make_user(role))
    assert client.get("/admin/audit.csv").status_code == HTTPStatus.FORBIDDEN
