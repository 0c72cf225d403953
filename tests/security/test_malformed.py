"""No 5xx on malformed input: an explicit table of cases (issue 11, Deliver 4).

Every route, with each of its methods, signed in as the role that may use it
(patient pages with a confirmed patient session), gets each case below in
every form field its pages offer (read from the pages themselves) and in
every query parameter, plus an unexpected field:

========== ============================================ =====================
case       sent                                         answer
========== ============================================ =====================
nul        ``a\\x00b``                                   400 "Nothing was saved"
bad_utf8   ``%ff%fe`` (percent-encoded, not UTF-8)      400 "Nothing was saved"
file       a file upload where text is expected         400 "does not take files"
one_mb     a 1 MB value                                 413 (body) / 414 (query)
date_min   ``0001-01-01`` (date and date-time fields)   < 500
date_max   ``9999-12-31``                               < 500
missing    the field left out                           < 500
repeated   the field twice, different values            < 500
========== ============================================ =====================

plus ``HEAD`` and unexpected methods on every route (< 500, 405 where the
method is not the route's). Any 4xx must leave every table but the audit log
as it was; every answer is a page (or JSON under /api/), never a traceback.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient

from intake.extensions import db
from intake.models import Role
from intake.screening import CURRENT
from intake.webhooks import endpoints as webhook_endpoints
from tests.conftest import make_appointment, make_user
from tests.patients.conftest import confirm
from tests.security.html_forms import forms_on
from tests.staff.conftest import login_as, make_submitted
from tests.staff.route_table import collection_app
from tests.staff.test_api_tokens import make_token

ONE_MB = "x" * (1024 * 1024)
REFUSED = "Nothing was saved"
UNEXPECTED_METHODS = ("PUT", "PATCH", "DELETE")
DATE_VALUES = {"date_min": "0001-01-01", "date_max": "9999-12-31"}
# Where a POST-only route's form is found (its GET page otherwise).
FORM_PAGES = {
    "admin.change_role": "admin.user",
    "admin.deactivate": "admin.user",
    "admin.reactivate": "admin.user",
    "admin.reset_password": "admin.user",
    "auth.logout": "auth.account",
    "auth.two_factor_remove": "auth.account",
    "frontdesk.issue": "frontdesk.appointment",
    "review.decide": "review.intake",
    "patients.finish": "patients.done",
}


def role_for(rule: str) -> str | None:
    """The role that may use a route: a staff role, "patient", or None (anyone)."""
    prefixes = {
        "/admin": Role.ADMIN.value,
        "/review": Role.CLINICIAN.value,
        "/api": Role.CLINICIAN.value,
        "/frontdesk": Role.FRONT_DESK.value,
        "/account": Role.FRONT_DESK.value,
        "/staff": Role.FRONT_DESK.value,
        "/intake": "patient",
        "/i/": "patient",
    }
    return next((role for prefix, role in prefixes.items() if rule.startswith(prefix)), None)


@dataclass(frozen=True)
class Target:
    endpoint: str
    rule: str
    method: str
    step: str | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.rule}" + (f" [{self.step}]" if self.step else "")


def _targets() -> list[Target]:
    found = []
    for rule in collection_app().url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "patients.step":
                found += [Target(rule.endpoint, rule.rule, method, s) for s in CURRENT.step_ids()]
            else:
                found.append(Target(rule.endpoint, rule.rule, method))
    return sorted(found, key=str)


TARGETS = _targets()
RULES = sorted({(t.endpoint, t.rule) for t in TARGETS})


@pytest.fixture
def app_config() -> dict[str, Any]:
    # A webhook address on this machine, so the webhook pages have one to show.
    return {"RATELIMIT_ENABLED": False, "INTAKE_WEBHOOKS_ALLOW_LOOPBACK": True}


class World:
    """The records every case runs against, and a signed-in client per role."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            self.clients: dict[str | None, FlaskClient] = {None: app.test_client()}
            for role in Role:
                client = app.test_client()
                login_as(client, make_user(role))
                self.clients[role.value] = client
            self.other_user = make_user(Role.FRONT_DESK).id
            submitted, intake = make_submitted({"active_acne": "yes"})
            self.submitted, self.intake = submitted.id, intake.id
            _fresh, self.token = make_appointment(first_name="Sam", last_name="Fuzz")
            self.api_token = make_token("read:intakes")[0].id
            endpoint, _secret = webhook_endpoints.create(
                "http://127.0.0.1:9/hook", by=make_user(Role.ADMIN)
            )
            self.webhook = endpoint.id
            db.session.commit()
        patient = app.test_client()
        assert confirm(patient, self.token).status_code == HTTPStatus.SEE_OTHER
        self.clients["patient"] = patient

    def url(self, endpoint: str, rule: str, step: str | None = None) -> str:
        rules = [r for r in self.app.url_map.iter_rules(endpoint) if r.rule == rule]
        values: dict[str, Any] = {}
        for name in rules[0].arguments if rules else ():
            values[name] = {
                "appointment_id": self.submitted,
                "intake_id": self.intake,
                "user_id": self.other_user,
                "token": self.token,
                "token_id": self.api_token,
                "endpoint_id": self.webhook,
                "step_id": step,
                "filename": "css/app.css",
                "rest": "x",
            }[name]
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def snapshot(self) -> dict[str, list[Any]]:
        """Every row of every table but the audit log (which reads may append to)."""
        with self.app.app_context():
            return {
                table.name: sorted(map(repr, db.session.execute(sa.select(table)).all()))
                for table in db.metadata.sorted_tables
                if table.name != "audit_events"
            }


@pytest.fixture
def world(app: Flask) -> Iterator[World]:
    yield World(app)


def _fields(world: World, client: FlaskClient, target: Target, url: str) -> tuple[dict, dict]:
    """The target's form fields (name -> default values) and their input types."""
    page_endpoint = FORM_PAGES.get(target.endpoint, target.endpoint)
    page_rule = next(world.app.url_map.iter_rules(page_endpoint)).rule
    page_url = world.url(page_endpoint, page_rule, target.step)
    page = client.get(page_url)
    fields: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    html = page.get_data().decode(errors="replace")  # a PDF is bytes
    page.close()
    for form in forms_on(html, page_url):
        if form.action.split("?")[0] == url and form.method == target.method:
            fields.update(form.fields)
            types.update(form.types)
    return fields, types


def _datelike(name: str, kind: str) -> bool:
    return kind in {"date", "datetime-local"} or any(
        part in name for part in ("date", "dob", "at", "birth")
    )


def _date_value(value: str, kind: str) -> str:
    return f"{value}T00:00" if kind == "datetime-local" else value


def _cases(fields: dict, types: dict, *, body: bool) -> Iterator[tuple[str, str, Any]]:
    """Yield (case, field, how to send it) for every field and the unexpected one."""
    for name in [*fields, "unexpected"]:
        kind = types.get(name, "text")
        yield "nul", name, {name: "a\x00b"}
        yield "bad_utf8", name, name
        yield "one_mb", name, {name: ONE_MB}
        if body:
            yield "file", name, {name: (io.BytesIO(b"not text"), "answer.txt")}
        if _datelike(name, kind):
            for case, value in DATE_VALUES.items():
                yield case, name, {name: _date_value(value, kind)}
        if name in fields:
            yield "missing", name, None
        yield "repeated", name, {name: [*(fields.get(name) or ["1"]), "2"]}


def _send(client: FlaskClient, target: Target, url: str, defaults: dict, how: Any, name: str):
    body = target.method != "GET"
    data: dict[str, Any] = {k: list(v) for k, v in defaults.items()}
    if how is None:
        data.pop(name, None)
    elif isinstance(how, str):  # raw percent-encoded bytes that are not UTF-8
        data.pop(name, None)
        raw = urlencode(data, doseq=True) + f"&{name}=%ff%fe"
        if body:
            return client.open(
                url,
                method=target.method,
                data=raw,
                content_type="application/x-www-form-urlencoded",
            )
        return client.open(f"{url}?{raw}", method="GET")
    else:
        data.update(how)
    if body:
        return client.open(url, method=target.method, data=data)
    return client.open(url, method="GET", query_string=data)


def _problem(response: Any, case: str, body: bool, url: str) -> str | None:
    status = response.status_code
    text = response.get_data().decode(errors="replace")  # a PDF is bytes
    response.close()
    if status >= 500 or "Traceback" in text:
        return f"{status}"
    expected = {
        "nul": {HTTPStatus.BAD_REQUEST},
        "bad_utf8": {HTTPStatus.BAD_REQUEST},
        "file": {HTTPStatus.BAD_REQUEST},
        "one_mb": {
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE if body else HTTPStatus.REQUEST_URI_TOO_LONG
        },
    }.get(case)
    if expected is None:
        return None
    if status not in expected:
        return f"{status}, expected {sorted(expected)}"
    message = json.loads(text)["message"] if url.startswith("/api/") else text
    if status != HTTPStatus.REQUEST_URI_TOO_LONG and REFUSED not in message:
        return f"{status} without a clear message"
    return None


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_malformed_fields_and_parameters(world, target):
    role = role_for(target.rule)
    client = world.clients[role]
    url = world.url(target.endpoint, target.rule, target.step)
    body = target.method != "GET"
    fields, types = _fields(world, client, target, url)
    if not body:  # a GET form's fields are this page's query parameters
        fields = {k: v for k, v in fields.items() if k != "csrf_token"}
    failures = []
    before = world.snapshot()
    for case, name, how in _cases(fields, types, body=body):
        response = _send(client, target, url, fields, how, name)
        problem = _problem(response, case, body, url)
        after = world.snapshot()
        if response.status_code >= 400 and after != before:
            changed = [t for t in after if after[t] != before[t]]
            problem = (problem or f"{response.status_code}") + f", changed {changed}"
        if problem:
            failures.append(f"{case} in {name!r}: {problem}")
        before = after
    assert not failures, f"{target} as {role}:\n" + "\n".join(failures)


@pytest.mark.parametrize(("endpoint", "rule"), RULES, ids=[r for _e, r in RULES])
def test_head_and_unexpected_methods(world, endpoint, rule):
    role = role_for(rule)
    client = world.clients[role]
    # What the address answers: every endpoint on it (a list page's GET and
    # its form's POST may be two views).
    rules = [r for r in world.app.url_map.iter_rules() if r.rule == rule]
    allowed = set().union(*(r.methods or () for r in rules))
    url = world.url(endpoint, rule, CURRENT.step_ids()[0])
    failures = []
    before = world.snapshot()
    for method in ("HEAD", *UNEXPECTED_METHODS, "OPTIONS"):
        response = client.open(url, method=method)
        status = response.status_code
        if status >= 500:
            failures.append(f"{method}: {status}")
        elif method not in (allowed or ()) and status != HTTPStatus.METHOD_NOT_ALLOWED:
            failures.append(f"{method}: {status}, expected 405")
        elif method == "HEAD" and response.get_data():
            failures.append("HEAD: answered with a body")
        response.close()
        if world.snapshot() != before:
            failures.append(f"{method}: changed a table")
    assert not failures, f"{rule} as {role}:\n" + "\n".join(failures)
