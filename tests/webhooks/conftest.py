"""A real HTTP receiver for webhook tests: a threaded http.server on a free loopback port.

It checks each request's signature the way the README tells integrators to
(``verify`` below is that snippet), and answers with the status codes a test
queues (200 once the queue is empty).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from intake.models import Role, User
from intake.webhooks import endpoints
from tests.conftest import make_user

# Each request gets an empty g, as on a real server (see tests/staff/conftest.py).
from tests.staff.conftest import _fresh_g_per_request  # noqa: F401

TOLERANCE_SECONDS = 300


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """The README's verification snippet: HMAC-SHA256 over ``<t>.<body>``, fresh timestamp."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    valid: bool

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    url: str
    secret: str = ""
    responses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.responses.pop(0) if self.responses else 200

    def events(self) -> list[dict[str, Any]]:
        return [r.event for r in self.received]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            valid = verify(receiver.secret, body, self.headers.get("Intake-Signature", "t=0,v1="))
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers), body, valid))
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.answer()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class QuietServer(ThreadingHTTPServer):
    """The receiver's server: a client that hung up (the timeout tests do) is no error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver(url="")
    server = QuietServer(("127.0.0.1", 0), _handler(box))
    server.daemon_threads = True
    box.url = f"http://127.0.0.1:{server.server_port}/hooks/intake"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def app_config() -> dict[str, Any]:
    # Test only: the receiver listens on this machine, over plain http.
    return {"INTAKE_WEBHOOKS_ALLOW_LOOPBACK": True, "INTAKE_WEBHOOKS_TIMEOUT_SECONDS": 2}


def register(receiver: Receiver, admin: User) -> int:
    """Register the receiver as an endpoint (committed), give it the secret; return its id."""
    from intake.extensions import db

    endpoint, secret = endpoints.create(receiver.url, by=admin)
    db.session.commit()
    receiver.secret = secret
    return endpoint.id


@pytest.fixture
def admin(app: Flask, app_ctx: None) -> User:
    return make_user(Role.ADMIN)
