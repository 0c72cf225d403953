"""Shared staff-side fixtures: signing in fast (session) or for real (the form).

PART A (sign-in, admin) wrote this file; other staff tests append below.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from intake.auth.sessions import DEVICE, LAST_SEEN, SIGNED_IN_AT
from intake.extensions import db
from intake.models import StaffSession, User
from tests.conftest import STAFF_PASSWORD, csrf_token_from


def login_as(client: FlaskClient, user: User, *, seconds_ago: int = 0) -> None:
    """Sign ``user`` in by writing the session cookie directly (fast; call in an app context).

    ``seconds_ago`` backdates the sign-in and the last request, to test expiry.
    """
    stamp = int(time.time()) - seconds_ago
    # The server-side row the cookie's device token names (intake.auth.devices).
    token = secrets.token_urlsafe(32)
    db.session.add(
        StaffSession(
            user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(), device="Test"
        )
    )
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[SIGNED_IN_AT] = stamp
        session[LAST_SEEN] = stamp
        session[DEVICE] = token


def sign_in(
    client: FlaskClient, email: str, password: str = STAFF_PASSWORD, **extra: str
) -> TestResponse:
    """Sign in through the real ``GET``/``POST /login`` form; return the POST's response.

    Works with CSRF on or off: the token is taken from the form when present.
    ``extra`` adds query arguments to the POST (e.g. ``next``).
    """
    page = client.get("/login")
    data = {"email": email, "password": password}
    html = page.get_data(as_text=True)
    if 'name="csrf_token"' in html:
        data["csrf_token"] = csrf_token_from(html)
    return client.post("/login", data=data, query_string=extra)


@pytest.fixture(autouse=True)
def _fresh_g_per_request(app: Flask) -> Iterator[None]:
    """Give each test request an empty ``g``, as a real server does.

    With the ``app_ctx`` fixture a test's requests share one app context, so
    Flask-Login would reuse the user cached in ``g`` by an earlier request
    (another client, or a session that has since been ended), and Flask-WTF
    a CSRF token made for a session that sign-in has since replaced.
    """

    def forget(sender: Flask, **extra: object) -> None:
        for name in list(g):
            g.pop(name, None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture
def staff_password() -> str:
    return STAFF_PASSWORD


# -- Clinician, front desk and API tests (PART B) ----------------------------


def make_submitted(
    answers: dict[str, str] | None = None,
    *,
    signature_name: str = "Robin Example",
    **appointment: object,
):
    """Book an appointment and submit its intake as a patient would; commit; return both.

    ``answers`` override an all-``no`` answer set; ``appointment`` goes to
    :func:`tests.conftest.make_appointment`. Call inside an app context.
    """
    # Imported here so this appended block leaves the imports above as they were.
    from intake import intakes
    from intake.extensions import db
    from intake.screening import AFTERCARE_CODES, aftercare_hash
    from tests.conftest import all_no, make_appointment

    booked, _token = make_appointment(**appointment)
    intake = booked.intake
    intakes.start(intake.id)
    intake.answers = {**all_no(), **(answers or {})}
    intakes.submit(
        intake.id, items=AFTERCARE_CODES, text_hash=aftercare_hash(), signature_name=signature_name
    )
    db.session.commit()
    return booked, intake
