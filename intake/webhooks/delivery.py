"""``flask webhooks deliver``: send due deliveries, signed, with retries and back-off.

Cron-safe like a job queue: each row is *claimed* in a short transaction of
its own (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` write lock serialises claims there), which sets a lease
token and a lease time. Two runs at once therefore never take the same row: a
row locked by one claim is skipped by the other, and a claimed row is not due
again until its lease has passed (``LEASE_SECONDS``, far longer than one
attempt can take). The POST is made outside any transaction, and the outcome
is written in a third short transaction, only by the run that still holds the
lease token. A run that dies mid-send leaves its row to be claimed again once
the lease has passed; that attempt counts.

Each attempt re-checks the URL (:func:`intake.webhooks.addresses.check`) and
connects to the address it just checked, with the host name kept for the
Host header, TLS SNI and certificate check: a DNS answer that changes after
the check cannot redirect the request.

Back-off: after failed attempt *n* the row waits
``INTAKE_WEBHOOKS_BACKOFF_SECONDS * 2**(n-1)`` (at most six hours); after
``INTAKE_WEBHOOKS_MAX_ATTEMPTS`` failed attempts it is given up (an audit
event). With the defaults (60 s, 10 attempts) the waits are 1, 2, 4 ... 256
minutes: about 8.5 hours from the first attempt to giving up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import ssl
import time
from dataclasses import dataclass, field

import certifi
import httpx
import sqlalchemy as sa
from flask import current_app

from intake import audit
from intake.extensions import db
from intake.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, utcnow
from intake.sealed import InvalidToken, unseal
from intake.unit_of_work import locked, transactional
from intake.webhooks import addresses

log = logging.getLogger(__name__)

LEASE_SECONDS = 5 * 60
MAX_BACKOFF_SECONDS = 6 * 3600
MAX_ERROR_LENGTH = 300
USER_AGENT = "intake-webhooks/1"
SIGNATURE_HEADER = "Intake-Signature"
EVENT_ID_HEADER = "Intake-Event-Id"
EVENT_TYPE_HEADER = "Intake-Event-Type"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of ``<timestamp>.<body>`` with the endpoint's secret, in hex."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def backoff(attempts: int) -> dt.timedelta:
    """How long a row waits after its ``attempts``-th failed attempt."""
    base = current_app.config["INTAKE_WEBHOOKS_BACKOFF_SECONDS"]
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


@dataclass(frozen=True)
class Claimed:
    """A claimed row, copied out of the session: sending needs no database."""

    id: int
    token: str
    url: str
    secret_sealed: str
    event_id: str
    event_type: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None


@dataclass
class Summary:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    lost: int = 0  # the lease ran out before the outcome was written
    seen: list[int] = field(default_factory=list)

    def line(self) -> str:
        text = f"delivered {self.delivered}, failed {self.failed}, gave up {self.gave_up}"
        return text + (f", lease lost {self.lost}" if self.lost else "")


def claim(started: dt.datetime, skip: list[int]) -> Claimed | None:
    """Lease the oldest due row of an active endpoint (its own transaction); None when none."""
    now = utcnow()
    query = (
        sa.select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= started,
            sa.or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
            WebhookEndpoint.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
        # Rows another run is claiming right now are skipped, not waited for.
        .with_for_update(skip_locked=True, of=WebhookDelivery)
        .execution_options(populate_existing=True)
    )
    if skip:
        query = query.where(WebhookDelivery.id.not_in(skip))
    row = db.session.execute(query).scalar_one_or_none()
    if row is None:
        return None
    row.lease_token = secrets.token_hex(16)
    row.lease_until = now + dt.timedelta(seconds=LEASE_SECONDS)
    row.attempts += 1
    row.last_attempt_at = now
    sealed = db.session.execute(
        sa.select(WebhookEndpoint.secret_sealed).where(WebhookEndpoint.id == row.endpoint_id)
    ).scalar_one()
    url = db.session.execute(
        sa.select(WebhookEndpoint.url).where(WebhookEndpoint.id == row.endpoint_id)
    ).scalar_one()
    db.session.flush()
    return Claimed(
        id=row.id,
        token=row.lease_token,
        url=url,
        secret_sealed=sealed,
        event_id=row.event_id,
        event_type=row.event_type,
        body=row.body,
        attempts=row.attempts,
    )


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def send(claimed: Claimed) -> Outcome:
    """POST the row's body, signed, to the address checked just now; never raises."""
    allow = current_app.config["INTAKE_WEBHOOKS_ALLOW_LOOPBACK"]
    try:
        target = addresses.check(claimed.url, allow_loopback=allow)
    except addresses.AddressRefusedError as exc:
        where = f" ({exc.address})" if exc.address else ""
        return Outcome(False, error=_short(f"address refused: {exc.code}{where}"))
    try:
        secret = unseal(claimed.secret_sealed)
    except InvalidToken:
        return Outcome(False, error="the signing secret cannot be opened (keys changed)")
    body = claimed.body.encode()
    headers = {
        "Host": target.host_header(),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: claimed.event_id,
        EVENT_TYPE_HEADER: claimed.event_type,
        SIGNATURE_HEADER: signature_header(secret, int(time.time()), body),
    }
    return _post(target, body, headers)


def _trusted() -> ssl.SSLContext:
    """The authorities a receiver's certificate may come from.

    The public ones (certifi's list, as httpx would use), and those in
    ``INTAKE_WEBHOOKS_CA_FILE`` when set: an integrator's private authority.
    """
    context = ssl.create_default_context(cafile=certifi.where())
    extra = current_app.config["INTAKE_WEBHOOKS_CA_FILE"]
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


def _post(target: addresses.Target, body: bytes, headers: dict[str, str]) -> Outcome:
    seconds = current_app.config["INTAKE_WEBHOOKS_TIMEOUT_SECONDS"]
    # The TLS handshake names and verifies the host, though the socket goes to
    # the checked address.
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    # trust_env=False: no proxy from the environment, which would connect by name.
    with httpx.Client(
        timeout=httpx.Timeout(seconds, connect=min(seconds, 5)),
        follow_redirects=False,
        trust_env=False,
        verify=_trusted(),
    ) as client:
        try:
            # Streamed and never read: the receiver's answer body is not ours to keep.
            with client.stream(
                "POST", target.pinned_url(), content=body, headers=headers, extensions=extensions
            ) as response:
                status = response.status_code
        except httpx.TimeoutException:
            return Outcome(False, error=f"timed out (after {seconds} s)")
        except httpx.HTTPError as exc:
            return Outcome(False, error=_short(f"could not send: {type(exc).__name__}: {exc}"))
    if 200 <= status < 300:
        return Outcome(True, status_code=status)
    if 300 <= status < 400:
        return Outcome(False, status_code=status, error=f"HTTP {status} (redirects not followed)")
    return Outcome(False, status_code=status, error=f"HTTP {status}")


def record(claimed: Claimed, outcome: Outcome) -> str:
    """Write the outcome (its own transaction), if this run still holds the lease.

    Return ``delivered``, ``failed`` (to be retried), ``gave_up`` or ``lost``.
    """
    row = db.session.execute(
        locked(
            sa.select(WebhookDelivery).where(
                WebhookDelivery.id == claimed.id, WebhookDelivery.lease_token == claimed.token
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return "lost"
    now = utcnow()
    row.lease_token = None
    row.lease_until = None
    row.last_status_code = outcome.status_code
    if outcome.ok:
        row.status = DeliveryStatus.DELIVERED
        row.delivered_at = now
        row.last_error = None
        return "delivered"
    row.last_error = outcome.error
    if row.attempts >= current_app.config["INTAKE_WEBHOOKS_MAX_ATTEMPTS"]:
        row.status = DeliveryStatus.GAVE_UP
        audit.record(
            audit.Action.WEBHOOK_GAVE_UP,
            actor_kind=audit.ActorKind.SYSTEM,
            target=("webhook_endpoint", row.endpoint_id),
            delivery=row.id,
            event_type=row.event_type,
            attempts=row.attempts,
        )
        return "gave_up"
    row.next_attempt_at = now + backoff(row.attempts)
    return "failed"


def deliver_due(limit: int = 1000) -> Summary:
    """Deliver up to ``limit`` due rows, one at a time; each row at most once per run."""
    started = utcnow()
    summary = Summary()
    while len(summary.seen) < limit:
        claimed = transactional(claim)(started, summary.seen)
        if claimed is None:
            break
        summary.seen.append(claimed.id)
        outcome = send(claimed)
        result = transactional(record)(claimed, outcome)
        log.info(
            "webhook delivery",
            extra={
                "delivery_id": claimed.id,
                "event_type": claimed.event_type,
                "attempt": claimed.attempts,
                "result": result,
                "status_code": outcome.status_code,
            },
        )
        if result == "delivered":
            summary.delivered += 1
        elif result == "gave_up":
            summary.gave_up += 1
        elif result == "failed":
            summary.failed += 1
        else:
            summary.lost += 1
    return summary
