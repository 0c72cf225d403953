"""Queue an event for every active endpoint, in the transaction of the change it reports.

Nothing here talks to the network: the patient's or clinician's request only
adds rows; ``flask webhooks deliver`` sends them. Because the rows are written
in the same transaction as the submission or decision, an event exists exactly
when its change was committed.

An event carries ids and statuses only: never answers, names, dates of birth,
email addresses or link tokens. An integrator that needs more reads it
through the API, with its own credentials.
"""

from __future__ import annotations

import json
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from intake.extensions import db
from intake.models import Intake, WebhookDelivery, WebhookEndpoint, utcnow


class EventType(StrEnum):
    INTAKE_SUBMITTED = "intake.submitted"
    INTAKE_DECIDED = "intake.decided"


def payload(
    event_type: EventType, intake: Intake, *, decision_id: int | None = None
) -> dict[str, Any]:
    """The event as sent: its id, type and time, and the intake's ids and status."""
    data: dict[str, Any] = {
        "appointment_id": intake.appointment_id,
        "intake_id": intake.id,
        "status": intake.status.value,
    }
    if event_type is EventType.INTAKE_DECIDED:
        data["decision"] = {"id": decision_id, "outcome": intake.status.value}
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "type": event_type.value,
        "occurred_at": utcnow().isoformat(timespec="seconds"),
        "data": data,
    }


def encode(event: dict[str, Any]) -> str:
    """The exact body sent and signed: compact JSON, keys sorted."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"))


def enqueue(event_type: EventType, intake: Intake, *, decision_id: int | None = None) -> int:
    """Add one delivery row per active endpoint; return how many."""
    endpoint_ids = (
        db.session.execute(sa.select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True)))
        .scalars()
        .all()
    )
    if not endpoint_ids:
        return 0
    event = payload(event_type, intake, decision_id=decision_id)
    body = encode(event)
    now = utcnow()
    for endpoint_id in endpoint_ids:
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_id=event["id"],
                event_type=event_type.value,
                body=body,
                attempts=0,
                next_attempt_at=now,
            )
        )
    db.session.flush()
    return len(endpoint_ids)
