"""No patient data in any log line, with every logger at DEBUG (issue 11, Deliver 3).

The whole patient flow and the staff flow run over the live server (so
werkzeug's request lines are logged) with the root, werkzeug, the app's and
SQLAlchemy's engine loggers at DEBUG, plus one request that fails inside a
view with a database error. Everything logged -- messages, tracebacks, and
what reached stderr -- is then searched for the patient's names, email,
phone, date of birth, the link token, the details text, the clinician's note
and the signature name.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

import pyotp
import pytest
import requests
import sqlalchemy as sa

from intake.auth import totp
from intake.extensions import db
from intake.models import Role, User
from intake.patients import views as patient_views
from intake.request_log import JsonFormatter
from intake.screening import AFTERCARE, CURRENT
from tests.conftest import BACKEND, STAFF_PASSWORD, csrf_token_from, make_user
from tests.production.browsing import Browser, confirm, sign_in, signing_form
from tests.production.servers import on_a_copy
from tests.security.html_forms import forms_on

FIRST, LAST = "Wilhelmina", "Quarterbridge"
EMAIL = "wilhelmina.quarterbridge@example.org"
PHONE = "+44 7700 900123"
DOB = "1961-08-23"
DETAILS = "Warfarin-Zebracake five mg"
NOTE = "Chartreuse-Halibut note: defer two weeks"
SIGNATURE = "Wilhelmina Q. Signedname"

LOGGERS = ("", "werkzeug", "intake", "flask.app", "sqlalchemy.engine", "sqlalchemy.pool")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        # Also each record as the app's JSON line, extras (request id, route,
        # status, user id) included: those are searched too.
        self.json = JsonFormatter()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # urllib3 is this test's own HTTP client (requests), not the server.
        if not record.name.startswith("urllib3"):
            self.lines.append(self.format(record))
            self.lines.append(self.json.format(record))


@pytest.fixture
def logged() -> Iterator[_Collect]:
    """Every logger at DEBUG into one collecting handler; levels restored afterwards."""
    handler = _Collect()
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(params=[False, True], ids=["flask-logs-exception", "exception-propagates"])
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    # PROPAGATE_EXCEPTIONS off: Flask's own exception log writes the failure
    # (as in production); on: werkzeug's server logs it ("Error on request").
    return {"RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": request.param}


def _submit(session: requests.Session, base: str, page_path: str, **values: Any) -> Any:
    """Fill the page's (last POST) form with ``values`` over its defaults and send it."""
    page = session.get(base + page_path)
    assert page.status_code == HTTPStatus.OK, page.text
    form = [f for f in forms_on(page.text, page_path) if f.method == "POST"][-1]
    data: dict[str, Any] = {k: v[0] if v else "" for k, v in form.fields.items()}
    data.update(values)
    return session.post(base + form.action, data=data, allow_redirects=True)


def _sign_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{base}/login", data={"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == HTTPStatus.OK, response.text
    assert response.url != f"{base}/login"
    return session


def _failing_confirm(*args: Any, **kwargs: Any) -> Any:
    """Fail inside the view with a database error whose parameter is the date of birth."""
    db.session.execute(sa.text("SELECT * FROM no_such_table WHERE dob = :dob"), {"dob": DOB})
    raise AssertionError("unreachable")


def test_nothing_about_the_patient_reaches_any_log(
    app, live_server_url, logged, capfd, monkeypatch
):
    base = live_server_url
    with app.app_context():
        desk, clinician = make_user(Role.FRONT_DESK), make_user(Role.CLINICIAN)
        desk_email, clinician_email = desk.email, clinician.email

    # The front desk books (name, email, phone, date of birth) and is shown the link.
    front = _sign_in(base, desk_email)
    at = (dt.datetime.now(app.config["INTAKE_TZ"]) + dt.timedelta(days=2)).replace(
        hour=10, minute=30
    )
    booked = _submit(
        front,
        base,
        "/frontdesk/appointments/new",
        first_name=FIRST,
        last_name=LAST,
        dob=DOB,
        at=at.strftime("%Y-%m-%dT%H:%M"),
        email=EMAIL,
        phone=PHONE,
    )
    # Post/redirect/get: the link is shown on the page the booking redirects to.
    assert booked.status_code == HTTPStatus.OK, booked.text
    assert "/new-link" in booked.url
    token = re.search(r"/i/([A-Za-z0-9_\-]{16,})", booked.text).group(1)
    appointment_id = int(re.search(r"/frontdesk/appointments/(\d+)", booked.text).group(1))
    assert front.get(f"{base}/frontdesk/search", params={"q": LAST}).status_code == 200
    assert front.get(f"{base}/frontdesk/search", params={"q": DOB}).status_code == 200

    # The patient: a view that fails with a database error first, then the whole flow.
    patient = requests.Session()
    assert patient.get(f"{base}/i/{token}").status_code == HTTPStatus.OK
    monkeypatch.setattr(patient_views.services, "confirm_identity", _failing_confirm)
    failed = patient.post(f"{base}/i/{token}", data={"date_of_birth": DOB})
    assert failed.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    monkeypatch.undo()
    confirmed = patient.post(f"{base}/i/{token}", data={"date_of_birth": DOB})
    assert confirmed.status_code == HTTPStatus.OK and "/intake/" in confirmed.url
    for step in CURRENT.steps:
        answers: dict[str, str] = {}
        for question in CURRENT.questions_for_step(step.id):
            answers[question.id] = "yes"
            answers[question.details_field] = DETAILS
        sent = patient.post(f"{base}/intake/step/{step.id}", data=answers)
        assert sent.status_code == HTTPStatus.OK, sent.text
    signed = _submit(
        patient,
        base,
        "/intake/aftercare",
        signature_name=SIGNATURE,
        **{item.field: "yes" for item in AFTERCARE},
    )
    assert signed.status_code == HTTPStatus.OK and "/intake/done" in signed.url, signed.text

    # The clinician reads the intake and decides with a typed note.
    review = _sign_in(base, clinician_email)
    queue = review.get(f"{base}/review/").text
    intake_id = int(re.search(r"/review/intakes/(\d+)", queue).group(1))
    decided = _submit(review, base, f"/review/intakes/{intake_id}", outcome="deferred", note=NOTE)
    assert decided.status_code == HTTPStatus.OK, decided.text
    assert NOTE in review.get(f"{base}/review/intakes/{intake_id}").text

    # The front desk prints the signed acknowledgment.
    printed = front.get(f"{base}/frontdesk/appointments/{appointment_id}/acknowledgment.pdf")
    assert printed.status_code == HTTPStatus.OK
    assert front.get(f"{base}/frontdesk/appointments/{appointment_id}/acknowledgment").ok

    out, err = capfd.readouterr()
    everything = "\n".join([*logged.lines, out, err])
    # The logs were really on: request lines, SQL, rows and the failure are there.
    assert "POST /intake/step/" in everything
    assert "INSERT INTO" in everything and "Row " in everything
    assert "no_such_table" in everything
    # The app's own JSON request lines are there too (and searched below).
    assert '"name": "intake.request"' in everything
    assert '"route": "/i/<token>"' in everything
    if app.config["PROPAGATE_EXCEPTIONS"]:
        assert "Error on request" in everything
    else:
        assert "Exception on /i/" in everything
    leaked = {
        secret
        for secret in (FIRST, LAST, EMAIL, PHONE, DOB, token, DETAILS, NOTE, SIGNATURE)
        if secret.lower() in everything.lower()
    }
    # Also each part of a name (a search of the last name alone, a signature's first word).
    leaked |= {
        part
        for part in ("Wilhelmina", "Quarterbridge", "Zebracake", "Halibut")
        if part.lower() in everything.lower()
    }
    assert not leaked, f"found in the logs: {sorted(leaked)}"
    assert '"GET /i/[redacted] HTTP/1.1" 200' in everything


# -- Two gunicorn instances (issue 14) ------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.skipif(
    BACKEND != "postgresql", reason="several gunicorn processes on one database: PostgreSQL only"
)
def test_nothing_about_the_patient_reaches_the_logs_of_two_instances(
    template_database_url, tmp_path
):
    """The whole flow crossing two gunicorn instances; both stderrs searched, line by line."""
    wrong_password = "Tangerine-Lighthouse wrong password"
    with on_a_copy(template_database_url, tmp_path) as (app, (one, two)):
        a, b = one.url, two.url
        secret = pyotp.random_base32()
        with app.app_context():
            desk, clinician = make_user(Role.FRONT_DESK), make_user(Role.CLINICIAN)
            db.session.get(User, clinician.id).totp_secret = totp.encrypt(secret)
            db.session.commit()
            desk_email, clinician_email = desk.email, clinician.email

        # The front desk books on A and searches on B.
        front = Browser()
        assert sign_in(front, a, desk_email).status_code == HTTPStatus.FOUND
        at = (dt.datetime.now(app.config["INTAKE_TZ"]) + dt.timedelta(days=2)).replace(
            hour=10, minute=30
        )
        booked = front.send_form(
            a,
            "/frontdesk/appointments/new",
            {
                "first_name": FIRST,
                "last_name": LAST,
                "dob": DOB,
                "at": at.strftime("%Y-%m-%dT%H:%M"),
                "email": EMAIL,
                "phone": PHONE,
            },
        )
        assert booked.status_code in (HTTPStatus.FOUND, HTTPStatus.SEE_OTHER), booked.text
        shown = front.get(b, booked.headers["Location"].removeprefix(a))
        token = re.search(r"/i/([A-Za-z0-9_\-]{16,})", shown.text).group(1)
        appointment_id = int(re.search(r"/frontdesk/appointments/(\d+)", shown.text).group(1))
        for query in (LAST, DOB):
            assert front.http.get(f"{b}/frontdesk/search", params={"q": query}).ok

        # The patient: a wrong date on A, the right one on B, steps on both, signs on A.
        patient = Browser()
        assert confirm(patient, a, token, "1961-08-24").status_code == HTTPStatus.OK
        assert confirm(patient, b, token, DOB).status_code == HTTPStatus.SEE_OTHER
        answers = {q.id: "yes" for q in CURRENT.questions}
        for number, step in enumerate(CURRENT.steps):
            base = (a, b)[number % 2]
            page = patient.get(base, f"/intake/step/{step.id}")
            data = {"csrf_token": csrf_token_from(page.text)}
            for question in CURRENT.questions_for_step(step.id):
                data[question.id] = answers[question.id]
                data[question.details_field] = DETAILS
            assert patient.post(base, f"/intake/step/{step.id}", data).status_code == 303
        signed = patient.post(
            a, "/intake/aftercare", signing_form(patient, a) | {"signature_name": SIGNATURE}
        )
        assert signed.status_code == HTTPStatus.SEE_OTHER, signed.text

        # The clinician: a wrong password on A, then password and code on B,
        # decides on A with a typed note and reads it back on B.
        review = Browser()
        page = review.get(a, "/login")
        refused = review.post(
            a,
            "/login",
            {
                "email": clinician_email,
                "password": wrong_password,
                "csrf_token": csrf_token_from(page.text),
            },
        )
        assert refused.status_code == HTTPStatus.OK
        assert sign_in(review, b, clinician_email).status_code == HTTPStatus.FOUND
        code = pyotp.TOTP(secret).now()
        assert review.send_form(b, "/login/code", {"code": code}).status_code == 302
        queue = review.get(a, "/review/").text
        intake_id = int(re.search(r"/review/intakes/(\d+)", queue).group(1))
        decided = review.send_form(
            a, f"/review/intakes/{intake_id}", {"outcome": "deferred", "note": NOTE}
        )
        assert decided.status_code in (HTTPStatus.FOUND, HTTPStatus.SEE_OTHER), decided.text
        assert NOTE in review.get(b, f"/review/intakes/{intake_id}").text

        # The front desk prints on B.
        pdf = front.get(b, f"/frontdesk/appointments/{appointment_id}/acknowledgment.pdf")
        assert pdf.status_code == HTTPStatus.OK
        logs = {"A": one.stderr(), "B": two.stderr()}

    secrets_ = (FIRST, LAST, EMAIL, PHONE, DOB, "1961-08-24", token, DETAILS, NOTE, SIGNATURE)
    parts = ("Wilhelmina", "Quarterbridge", "Zebracake", "Halibut", "Tangerine")
    for name, text in logs.items():
        lines = text.splitlines()
        # Both instances served part of the flow, one JSON line per request.
        records = [json.loads(line) for line in lines]
        requests_logged = [r for r in records if r.get("name") == "intake.request"]
        assert len(requests_logged) > 5, name
        assert {"/i/<token>", "/login"} <= {r["route"] for r in requests_logged}, name
        lowered = text.lower()
        leaked = {s for s in (*secrets_, *parts, wrong_password) if s.lower() in lowered}
        leaked |= {code} if re.search(rf"(?<![0-9a-f]){code}(?![0-9a-f])", text) else set()
        assert not leaked, f"found in instance {name}'s stderr: {sorted(leaked)}"
