"""A browser for tests against gunicorn instances: one cookie jar, any instance.

CSRF tokens are read from the pages, as a browser sends them; redirects are
not followed, so a test sees each answer. Shared by the tests under
``tests/production`` (and anyone else driving :mod:`tests.production.servers`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus

import requests

from intake.screening import CURRENT
from tests.conftest import STAFF_PASSWORD, csrf_token_from
from tests.security.html_forms import forms_on

DOB = "1984-03-09"


class Browser:
    """One browser: one cookie jar, any instance (``base`` is per request)."""

    def __init__(self, address: str | None = None) -> None:
        self.http = requests.Session()
        if address:
            self.http.headers["X-Forwarded-For"] = address

    def get(self, base: str, path: str) -> requests.Response:
        return self.http.get(base + path, allow_redirects=False, timeout=30)

    def post(self, base: str, path: str, data: Mapping[str, str]) -> requests.Response:
        return self.http.post(base + path, data=data, allow_redirects=False, timeout=30)

    def send_form(self, base: str, path: str, values: Mapping[str, str]) -> requests.Response:
        """Fill the page's last POST form over its defaults (CSRF token included) and send it."""
        page = self.get(base, path)
        assert page.status_code == HTTPStatus.OK, page.text
        form = [f for f in forms_on(page.text, path) if f.method == "POST"][-1]
        data = {name: found[0] if found else "" for name, found in form.fields.items()}
        data.update(values)
        return self.post(base, form.action, data)

    def copy(self) -> Browser:
        """The same cookies in a second connection (a second tab, or a double tap)."""
        other = Browser(self.http.headers.get("X-Forwarded-For"))
        other.http.cookies.update(self.http.cookies)
        return other


def confirm(patient: Browser, base: str, token: str, dob: str = DOB) -> requests.Response:
    page = patient.get(base, f"/i/{token}")
    assert page.status_code == HTTPStatus.OK, page.text
    return patient.post(
        base, f"/i/{token}", {"date_of_birth": dob, "csrf_token": csrf_token_from(page.text)}
    )


def answer_step(patient: Browser, base: str, step_id: str, answers: Mapping[str, str]) -> None:
    page = patient.get(base, f"/intake/step/{step_id}")
    assert page.status_code == HTTPStatus.OK, page.text
    data = {q.id: answers[q.id] for q in CURRENT.questions_for_step(step_id)}
    data["csrf_token"] = csrf_token_from(page.text)
    sent = patient.post(base, f"/intake/step/{step_id}", data)
    assert sent.status_code == HTTPStatus.SEE_OTHER, sent.text


def signing_form(patient: Browser, base: str) -> dict[str, str]:
    page = patient.get(base, "/intake/aftercare")
    assert page.status_code == HTTPStatus.OK, page.text
    text_hash = re.search(r'name="text_hash"[^>]*value="([^"]+)"', page.text)
    assert text_hash, "the acknowledgment page has no text_hash"
    data = {item.field: "yes" for item in CURRENT.aftercare}
    data.update(
        signature_name="Robin Example",
        text_hash=text_hash.group(1),
        csrf_token=csrf_token_from(page.text),
    )
    return data


def every_answer(value: str = "no") -> dict[str, str]:
    return {q.id: value for q in CURRENT.questions}


def sign_in(browser: Browser, base: str, email: str) -> requests.Response:
    page = browser.get(base, "/login")
    token = csrf_token_from(page.text)
    return browser.post(
        base, "/login", {"email": email, "password": STAFF_PASSWORD, "csrf_token": token}
    )
