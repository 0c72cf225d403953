"""A real SMTP server (aiosmtpd, in a thread on a free port) that the app sends to.

The server keeps every message it accepts; ``refuse`` makes it answer 550 to
each recipient, as a server that will not take the address does. Tests read
the delivered messages with the standard library's parser.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
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
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
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


# Each test request gets an empty ``g``, as on a real server (see tests/staff).
from tests.staff.conftest import _fresh_g_per_request  # noqa: E402, F401
