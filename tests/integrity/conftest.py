"""Races over HTTP: real threads sending real requests to the live server.

Every test here runs on a committed database (``live_server_url``), so each
request is its own transaction on its own connection, as in production with
several gunicorn processes. The rate limits are off: these tests send many
requests from one address on purpose, and the limits are tested elsewhere.

The tests do not look at timings. They repeat a race for a bounded time and
then check what the database holds against the invariant the race could
break; a round that happened not to overlap proves nothing, but it cannot
make the check fail either.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import requests

from intake.screening import CURRENT
from tests.conftest import STAFF_PASSWORD

# How long the longest race repeats, per database (the issue allows about a
# minute; CI time is shared with everything else).
RACE_SECONDS = float(os.environ.get("INTAKE_RACE_SECONDS", "25"))


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": False}


def rounds(seconds: float, *, at_most: int) -> Iterator[int]:
    """Yield round numbers until ``seconds`` have passed or ``at_most`` rounds ran."""
    deadline = time.monotonic() + seconds
    for number in range(at_most):
        if time.monotonic() > deadline:
            return
        yield number


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released together; return results (or the exception raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        # A little jitter moves the overlap around between rounds.
        time.sleep(random.random() * 0.004)
        try:
            results[index] = call()
        except Exception as exc:  # reported by the caller's assertion
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


class Browser:
    """One browser (one cookie jar) talking to the live server."""

    def __init__(self, base: str, cookies: requests.cookies.RequestsCookieJar | None = None):
        self.base = base
        self.http = requests.Session()
        if cookies is not None:
            self.http.cookies.update(cookies)

    def tab(self) -> Browser:
        """A second tab: the same cookies, its own connection."""
        return Browser(self.base, self.http.cookies)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=30)

    def post(self, path: str, data: Mapping[str, str]) -> requests.Response:
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=30)

    def close(self) -> None:
        self.http.close()


def step_data(step_id: str, answers: Mapping[str, str]) -> dict[str, str]:
    return {q.id: answers.get(q.id, "no") for q in CURRENT.questions_for_step(step_id)}


def answer_every_step(patient: Browser, answers: Mapping[str, str]) -> None:
    for step in CURRENT.steps:
        response = patient.post(f"/intake/step/{step.id}", step_data(step.id, answers))
        assert response.status_code == 303, response.text


def aftercare_data(patient: Browser) -> dict[str, str]:
    page = patient.get("/intake/aftercare").text
    marker = 'name="text_hash" value="'
    start = page.index(marker) + len(marker)
    data = {item.field: "yes" for item in CURRENT.aftercare}
    data.update(signature_name="Robin Example", text_hash=page[start : page.index('"', start)])
    return data


def signed_in(base: str, email: str) -> Browser:
    staff = Browser(base)
    response = staff.post("/login", {"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 302, response.text
    return staff
