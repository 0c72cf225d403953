"""Webhook endpoints: register (with a new signing secret), rotate, disable, enable, remove.

Each function adds, locks and flushes, and records its audit event; the
request commits (:mod:`intake.unit_of_work`). The secret is returned to the
view, which shows it once (:mod:`intake.held`), and kept sealed.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app

from intake import audit
from intake.extensions import db
from intake.models import User, WebhookDelivery, WebhookEndpoint, utcnow
from intake.sealed import seal, unseal
from intake.unit_of_work import locked
from intake.webhooks import addresses

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix that says what the value is


def new_secret() -> str:
    """A signing secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def allow_loopback() -> bool:
    return bool(current_app.config["INTAKE_WEBHOOKS_ALLOW_LOOPBACK"])


def secret_of(endpoint: WebhookEndpoint) -> str:
    return unseal(endpoint.secret_sealed)


def create(url: str, *, by: User) -> tuple[WebhookEndpoint, str]:
    """Register ``url`` with a new secret; return the endpoint and the secret.

    :raise addresses.AddressRefusedError: the URL may not receive webhooks.
    """
    url = url.strip()
    addresses.check(url, allow_loopback=allow_loopback())
    secret = new_secret()
    endpoint = WebhookEndpoint(url=url, secret_sealed=seal(secret), created_by_id=by.id)
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        audit.Action.WEBHOOK_CREATED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by.id,
        target=("webhook_endpoint", endpoint.id),
    )
    return endpoint, secret


def lock(endpoint_id: int) -> WebhookEndpoint | None:
    return db.session.execute(
        locked(sa.select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))
    ).scalar_one_or_none()


def rotate(endpoint: WebhookEndpoint, *, by: User) -> str:
    """Replace the signing secret; every delivery from now on is signed with the new one."""
    secret = new_secret()
    endpoint.secret_sealed = seal(secret)
    endpoint.secret_rotated_at = utcnow()
    db.session.flush()
    audit.record(
        audit.Action.WEBHOOK_SECRET_ROTATED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by.id,
        target=("webhook_endpoint", endpoint.id),
    )
    return secret


def set_active(endpoint: WebhookEndpoint, active: bool, *, by: User) -> bool:
    """Disable or enable; return whether anything changed.

    A disabled endpoint gets no new events; its queued deliveries wait, and
    go out once it is enabled again.
    """
    if endpoint.active is active:
        return False
    endpoint.active = active
    db.session.flush()
    audit.record(
        audit.Action.WEBHOOK_ENABLED if active else audit.Action.WEBHOOK_DISABLED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by.id,
        target=("webhook_endpoint", endpoint.id),
    )
    return True


def remove(endpoint: WebhookEndpoint, *, by: User) -> None:
    """Delete the endpoint with its deliveries (sent or not); the audit log keeps the rest."""
    pending = db.session.execute(
        sa.select(sa.func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
    ).scalar_one()
    db.session.execute(
        sa.delete(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .execution_options(synchronize_session=False)
    )
    endpoint_id = endpoint.id
    db.session.delete(endpoint)
    db.session.flush()
    audit.record(
        audit.Action.WEBHOOK_REMOVED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by.id,
        target=("webhook_endpoint", endpoint_id),
        pending_dropped=pending,
    )
