"""Over https the socket goes to the checked address, while TLS names and verifies the host.

A real TLS receiver on this machine, with a self-signed certificate for
``localhost``: the delivery sends SNI ``localhost`` (not the address it
connects to), and refuses the certificate no public authority signed.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from intake.extensions import db
from intake.models import Role, WebhookDelivery
from intake.webhooks import endpoints
from intake.webhooks.delivery import deliver_due
from tests.conftest import make_user
from tests.staff.conftest import make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_listener(tmp_path: Path) -> Iterator[tuple[int, list[str | None]]]:
    """Accept TLS handshakes on a free loopback port; record each client's SNI name."""
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []

    def remember(_sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        names.append(name)

    context.sni_callback = remember
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], names
    stop.set()
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def app_config():
    return {"INTAKE_WEBHOOKS_ALLOW_LOOPBACK": True, "INTAKE_WEBHOOKS_TIMEOUT_SECONDS": 3}


def test_tls_names_the_host_and_refuses_an_unsigned_certificate(tls_listener):
    port, names = tls_listener
    endpoints.create(f"https://localhost:{port}/hooks", by=make_user(Role.ADMIN))
    db.session.commit()
    make_submitted()
    summary = deliver_due()
    assert summary.failed == 1 and summary.delivered == 0
    row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
    assert row.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert names == ["localhost"]
