"""The virtual users ``bench/http.py`` runs with locust (headless, ``FastHttpUser``).

One scenario per run, chosen by ``BENCH_SCENARIO``; ``bench/http.py`` passes
the rest (link tokens, staff accounts) through environment variables. Each
patient user has a link of its own and its own client address (sent as
``X-Forwarded-For``, which the app trusts from one proxy, as in production
behind a TLS-terminating proxy), so no user shares a session or a rate limit
with another.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from http.cookiejar import Cookie, DefaultCookiePolicy
from typing import Any
from urllib.request import Request

from locust import FastHttpUser, constant, task

SCENARIO = os.environ.get("BENCH_SCENARIO", "hello")
SETUP: dict[str, Any] = json.loads(os.environ.get("BENCH_SETUP", "{}"))
_user_numbers = itertools.count()
REDIRECTS = {302, 303}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class LoopbackCookies(DefaultCookiePolicy):
    """Send the production session cookie (``Secure``, ``__Host-``) over loopback HTTP.

    The app runs as in production, where a proxy in front speaks HTTPS; here
    the load generator talks to gunicorn directly, as that proxy would.
    """

    def return_ok_secure(self, cookie: Cookie, request: Request) -> bool:
        return True


class Visitor(FastHttpUser):
    # Closed loop: each user sends its next request as soon as the last one
    # is answered.
    wait_time = constant(0)

    def on_start(self) -> None:
        self.number = next(_user_numbers)
        self.client.cookiejar.set_policy(LoopbackCookies())
        address = f"10.{self.number // 250}.{self.number % 250}.1"
        self.headers = {"X-Forwarded-For": address}
        if SCENARIO in {"step_get", "step_post"}:
            self._confirm_identity()
        elif SCENARIO in {"queue", "day"}:
            self._sign_in(SETUP["clinician" if SCENARIO == "queue" else "front_desk"])

    def _csrf(self, path: str, name: str | None = None) -> str:
        with self.client.get(path, headers=self.headers, catch_response=True, name=name) as page:
            match = CSRF.search(page.text or "")
            if page.status_code != 200 or match is None:
                page.failure(f"no form at {page.status_code}")
                raise RuntimeError("setup failed")
            page.success()
            return match.group(1)

    def _confirm_identity(self) -> None:
        patient = SETUP["patients"][SETUP["offset"] + self.number]
        link = f"/i/{patient['token']}"
        # Named, so locust's report shows the route, never a link's token.
        token = self._csrf(link, name="/i/[token]")
        with self.client.post(
            link,
            data={"csrf_token": token, "date_of_birth": patient["dob"]},
            headers=self.headers,
            allow_redirects=False,
            catch_response=True,
            name="/i/[token] POST",
        ) as answer:
            if answer.status_code not in REDIRECTS:
                answer.failure(f"identity not confirmed: {answer.status_code}")
                raise RuntimeError("setup failed")
        self.step_path = f"/intake/step/{SETUP['step']}"
        self.step_token = self._csrf(self.step_path)

    def _sign_in(self, account: dict[str, str]) -> None:
        token = self._csrf("/login")
        with self.client.post(
            "/login",
            data={"csrf_token": token, **account},
            headers=self.headers,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code not in REDIRECTS:
                answer.failure(f"not signed in: {answer.status_code}")
                raise RuntimeError("setup failed")

    @task
    def page(self) -> None:
        if SCENARIO == "hello":
            self.client.get("/", name="hello")
        elif SCENARIO == "healthz":
            self.client.get("/healthz", name="healthz")
        elif SCENARIO == "step_get":
            self.client.get(self.step_path, headers=self.headers, name="step_get")
        elif SCENARIO == "step_post":
            with self.client.post(
                self.step_path,
                data={"csrf_token": self.step_token, **SETUP["answers"]},
                headers=self.headers,
                allow_redirects=False,
                catch_response=True,
                name="step_post",
            ) as answer:
                if answer.status_code not in REDIRECTS:
                    answer.failure(f"step not saved: {answer.status_code}")
        elif SCENARIO == "queue":
            self.client.get("/review/", headers=self.headers, name="queue")
        elif SCENARIO == "day":
            self.client.get("/frontdesk/", headers=self.headers, name="day")
