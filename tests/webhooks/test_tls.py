"""Over https the socket goes to the checked address, while TLS names and verifies the host.

A real TLS receiver on this machine, with a self-signed certificate for
``localhost``: the delivery sends SNI ``localhost`` (not the address it
connects to), and refuses the certificate no public authority signed. With
a private authority in ``INTAKE_WEBHOOKS_CA_FILE``, a receiver whose
certificate it signed gets the event, signed, over TLS.
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
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from intake.config import ConfigError, load
from intake.extensions import db
from intake.models import Role, WebhookDelivery
from intake.webhooks import endpoints
from intake.webhooks.delivery import deliver_due
from tests.conftest import make_user
from tests.staff.conftest import make_submitted
from tests.webhooks.conftest import QuietServer, Receiver, _handler, register

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


# -- A private authority (INTAKE_WEBHOOKS_CA_FILE) ------------------------------


def private_authority(directory: Path) -> tuple[Path, Path, Path]:
    """An authority's certificate, and a ``localhost`` certificate and key it signed."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Partner test authority")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "leaf.pem", directory / "leaf-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class TestPrivateAuthority:
    @pytest.fixture
    def authority(self, tmp_path: Path) -> tuple[Path, Path, Path]:
        return private_authority(tmp_path)

    @pytest.fixture
    def app_config(self, authority):
        return {
            "INTAKE_WEBHOOKS_ALLOW_LOOPBACK": True,
            "INTAKE_WEBHOOKS_TIMEOUT_SECONDS": 3,
            "INTAKE_WEBHOOKS_CA_FILE": str(authority[0]),
        }

    @pytest.fixture
    def tls_receiver(self, authority) -> Iterator[tuple[Receiver, list[str | None]]]:
        """The webhook tests' receiver, over TLS with the authority's ``localhost`` certificate."""
        _ca, cert, key = authority
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        names: list[str | None] = []
        context.sni_callback = lambda _sock, name, _context: names.append(name)
        box = Receiver(url="")
        server = QuietServer(("127.0.0.1", 0), _handler(box))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        box.url = f"https://localhost:{server.server_port}/hooks/intake"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield box, names
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()

    def test_a_receiver_the_authority_signed_gets_the_event_over_tls(self, tls_receiver):
        receiver, names = tls_receiver
        register(receiver, make_user(Role.ADMIN))
        make_submitted()

        summary = deliver_due()

        assert summary.delivered == 1 and summary.failed == 0
        [received] = receiver.received
        assert received.path == "/hooks/intake" and received.valid
        assert names == ["localhost"]
        row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
        assert row.last_error is None

    def test_without_the_setting_the_same_receiver_is_refused(self, app, tls_receiver):
        receiver, _names = tls_receiver
        app.config["INTAKE_WEBHOOKS_CA_FILE"] = ""
        register(receiver, make_user(Role.ADMIN))
        make_submitted()

        summary = deliver_due()

        assert summary.delivered == 0 and summary.failed == 1
        assert receiver.received == []
        row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
        assert row.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in row.last_error


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_a_ca_file_that_cannot_be_read_stops_the_start(tmp_path, content):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match="INTAKE_WEBHOOKS_CA_FILE must name a readable file"):
        load({}, tmp_path, {"INTAKE_WEBHOOKS_CA_FILE": str(path)})
