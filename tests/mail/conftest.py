"""A real SMTP server (aiosmtpd, in a thread on a free port) that the app sends to.

The server keeps every message it accepts; ``refuse`` makes it answer 550 to
each recipient, as a server that will not take the address does, and
``defer`` 450, as one that asks to be tried again later. Tests read
the delivered messages with the standard library's parser.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Delivered:
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, content_type: str) -> str:
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert found is not None and found.get_content_type() == content_type
        return str(found.get_content())


@dataclass
class Handler:
    messages: list[Delivered] = field(default_factory=list)
    refuse: bool = False
    defer: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if self.defer:
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(Delivered(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Delivered]:
        return self.handler.messages

    def reset(self) -> None:
        self.handler.messages.clear()
        self.handler.refuse = False
        self.handler.defer = False


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def smtp(_smtp_server: SMTPServer) -> Iterator[SMTPServer]:
    """The running SMTP server, emptied for this test."""
    _smtp_server.reset()
    yield _smtp_server
    _smtp_server.reset()


def mail_config(port: int) -> dict[str, Any]:
    return {
        "INTAKE_SMTP_HOST": "127.0.0.1",
        "INTAKE_SMTP_PORT": port,
        "INTAKE_SMTP_TLS": "none",
        "INTAKE_SMTP_TIMEOUT": 5,
        "INTAKE_MAIL_SENDER": "Demo Skin Clinic <clinic@clinic.test>",
        "INTAKE_CLINIC_NAME": "Demo Skin Clinic",
    }


@pytest.fixture
def app_config(smtp: SMTPServer) -> dict[str, Any]:
    """Every app in these tests sends to the test's SMTP server."""
    return mail_config(smtp.port)


def two_runs_at_once(app: Any, send_due: Callable[[], Any]) -> list[Any]:
    """Run ``send_due`` in two threads at once, each in its own app context (own connection)."""
    barrier = threading.Barrier(2)
    summaries: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait()
                summaries.append(send_due())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return summaries


# Each test request gets an empty ``g``, as on a real server (see tests/staff).
from tests.staff.conftest import _fresh_g_per_request  # noqa: E402, F401
