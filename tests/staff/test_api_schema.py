"""The API against its own OpenAPI 3.1 document, with schemathesis on the WSGI app.

Generated cases (any integer id, and invalid ones) run every schemathesis
check, signed in as a clinician, and again (with bookings too) with an
integrator's bearer token; explicit cases cover each documented answer with
real data: an intake before and after submission, a booking, a duplicate,
a wrong field, and the 401 and 403.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from intake.models import Role, utcnow
from tests.conftest import make_appointment, make_user
from tests.staff.conftest import login_as, make_submitted
from tests.staff.test_api_tokens import make_token

OPERATION = ("/api/v1/appointments/{appointment_id}/intake", "GET")


@pytest.fixture
def app_config():
    # schemathesis's ignored_auth check sends garbled tokens on purpose, and
    # failed tokens count against the address: the generator is no guesser.
    return {"INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES": 100_000}


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def clinician_cookie(app, client):
    with app.app_context():
        login_as(client, make_user(Role.CLINICIAN))
        # Some ids exist, so generated ids sometimes find one.
        for _ in range(3):
            make_submitted({"active_acne": "yes", "active_acne_details": "on the chin"})
        make_appointment()
    return session_cookie(client)


def session_cookie(client) -> dict[str, str]:
    """The staff session cookie, as the document's ``staffSession`` scheme names it.

    Passed on each case, so schemathesis's ``ignored_auth`` check can also send
    the request with the cookie left out or garbled, and expect a 401.
    """
    cookie = client.get_cookie("session")
    return {"session": cookie.value} if cookie else {}


def sign_in_with(api_schema, cookie: str) -> None:
    """Give every generated case the staff session cookie, through schemathesis's auth hook.

    Registered as auth, the cookie is known to be the real credential: the
    ``ignored_auth`` check then also sends each request without it and with a
    garbled one, and expects the API to refuse both.
    """

    @api_schema.auth()
    class StaffSession:
        def get(self, case, context) -> str:
            return cookie

        def set(self, case, data: str, context) -> None:
            case.cookies = {**(case.cookies or {}), "session": data}


# schemathesis.pytest.from_fixture() reads a pytest attribute that pytest 9
# removed, so the generated cases are drawn from the operation's Hypothesis
# strategy inside the test instead: the same cases and checks.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_conforms_to_its_document(api_schema, clinician_cookie, mode):
    sign_in_with(api_schema, clinician_cookie["session"])
    operation = api_schema[OPERATION[0]][OPERATION[1]]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases every run: CI fails on the code, not on luck
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case) -> None:
        case.call_and_validate()

    check()


def _case(api_schema, appointment_id: int, cookies: dict[str, str]):
    path, method = OPERATION
    return api_schema[path][method].Case(
        path_parameters={"appointment_id": appointment_id}, cookies=cookies
    )


@pytest.mark.parametrize("who", ["anonymous", Role.FRONT_DESK, Role.CLINICIAN, Role.ADMIN])
def test_every_documented_answer_matches_the_document(app, api_schema, client, who):
    with app.app_context():
        ids = [
            make_submitted({"blood_thinners": "yes", "blood_thinners_details": "x"})[0].id,
            make_appointment()[0].id,
        ]
        if who != "anonymous":
            login_as(client, make_user(who))
    expected = {
        "anonymous": HTTPStatus.UNAUTHORIZED,
        Role.FRONT_DESK: HTTPStatus.FORBIDDEN,
    }.get(who, HTTPStatus.OK)
    for appointment_id in ids:
        response = _case(api_schema, appointment_id, session_cookie(client)).call_and_validate()
        assert response.status_code == expected
    missing = _case(api_schema, 10**6, session_cookie(client)).call_and_validate()
    assert missing.status_code == (expected if expected != HTTPStatus.OK else 404)


# -- With an integrator's bearer token ----------------------------------------------

BOOKING = ("/api/v1/appointments", "POST")
CHANGE = ("/api/v1/appointments/{appointment_id}", "PATCH")
CANCEL = ("/api/v1/appointments/{appointment_id}/cancel", "POST")


@pytest.fixture
def integrator_token(app) -> str:
    """A token with every scope, and some appointments for generated ids to find."""
    with app.app_context():
        _row, token = make_token("read:intakes", "write:appointments")
        make_submitted({"active_acne": "yes", "active_acne_details": "on the chin"})
        make_appointment()
    return token


def bearer_with(api_schema, token: str) -> None:
    """Give every generated case the bearer token, through schemathesis's auth hook.

    Registered as auth, so the ``ignored_auth`` check also sends each request
    without it and with a garbled one, and expects a 401.
    """

    @api_schema.auth()
    class Bearer:
        def get(self, case, context) -> str:
            return token

        def set(self, case, data: str, context) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.mark.parametrize(
    "operation",
    [OPERATION, BOOKING, CHANGE, CANCEL],
    ids=["read-intake", "book", "change", "cancel"],
)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_conforms_to_its_document_with_a_token(
    api_schema, integrator_token, operation, mode
):
    bearer_with(api_schema, integrator_token)
    endpoint = api_schema[operation[0]][operation[1]]

    @given(case=endpoint.as_strategy(generation_mode=mode))
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case) -> None:
        # A booking's rules that JSON Schema cannot say (a start time not
        # passed, a birth date after 1900 and over a year ago, a name that is
        # not only spaces) make a schema-valid body rightly a 422: that check
        # is left out for bookings, and test_a_booking_and_each_refusal...
        # shows a valid booking accepted.
        excluded = [positive_data_acceptance] if operation in (BOOKING, CHANGE) else []
        case.call_and_validate(excluded_checks=excluded)

    check()


def test_a_booking_and_each_refusal_match_the_document(app, api_schema, integrator_token, client):
    path, method = BOOKING
    at = (utcnow() + dt.timedelta(days=4)).astimezone(app.config["INTAKE_TZ"])
    body = {
        "first_name": "Robin",
        "last_name": "Example",
        "date_of_birth": "1990-05-17",
        "at": at.strftime("%Y-%m-%dT%H:%M"),
    }
    auth = {"Authorization": f"Bearer {integrator_token}"}
    operation = api_schema[path][method]
    statuses = []
    for sent, headers in [
        (body, auth),  # booked
        (body, auth),  # the same again: 409
        ({**body, "at": "2001-01-01T10:00"}, auth),  # 422
        (body, {}),  # 401
        (body, {"Authorization": "Bearer itk_revoked-or-unknown"}),  # 401
    ]:
        response = operation.Case(body=sent, headers=headers).call_and_validate()
        statuses.append(response.status_code)
    assert statuses == [201, 409, 422, 401, 401]
