"""The JSON API (CONTRACT section 6) and its OpenAPI 3.1 document.

Every answer from this blueprint is JSON, errors included:
``{"error": "<short code>", "message": "<sentence>"}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    RequestURITooLarge,
)

from intake import audit, errors
from intake.api.openapi import document
from intake.bad_input import BadInput
from intake.extensions import db
from intake.models import SUBMITTED, Acknowledgment, Appointment, Intake, IntakeStatus
from intake.screening import CURRENT, Severity
from intake.users import current_staff

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_ID = 2**31 - 1

MESSAGES = {
    HTTPStatus.UNAUTHORIZED: "Sign in as a clinician or admin first.",
    HTTPStatus.FORBIDDEN: "Your role does not give access to screening answers.",
    HTTPStatus.NOT_FOUND: "There is no appointment with this id.",
    HTTPStatus.METHOD_NOT_ALLOWED: "This method is not allowed here.",
}


def _error(status: HTTPStatus, message: str | None = None) -> Response:
    body = {
        "error": status.phrase.lower().replace(" ", "_"),
        "message": message or MESSAGES.get(status, status.description),
    }
    response = jsonify(body)
    response.status_code = status
    return response


def json_error(error: HTTPException) -> Response:
    status = HTTPStatus(error.code or 500)
    # intake.bad_input's refusals say what was wrong; keep their sentence.
    described = isinstance(error, BadInput | RequestURITooLarge)
    response = _error(status, error.description if described else None)
    if isinstance(error, MethodNotAllowed):
        response.headers["Allow"] = ", ".join(error.valid_methods or ())
    return response


# Code by code: the app's HTML handlers are registered per code, and Flask
# prefers a code's handler over a class handler, so a class handler here
# would lose to them.
for _code in (400, 401, 403, 404, 405, 413, 414, 429, 500, 503):
    bp.register_error_handler(_code, json_error)


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return json_error(error)
    if errors.is_database_unreachable(error):
        return errors.database_unreachable(error)
    # The 500 answer ends the unit of work in a rollback (intake.unit_of_work).
    current_app.logger.error("API request failed: %s", type(error).__name__)
    return json_error(InternalServerError())


@bp.get("/appointments/<int:appointment_id>/intake")
def appointment_intake(appointment_id: int) -> ResponseReturnValue:
    """Return the appointment's intake as CONTRACT section 6 describes it.

    :raise 404: no appointment with this id.
    """
    appointment = (
        db.session.get(Appointment, appointment_id) if 0 < appointment_id <= MAX_ID else None
    )
    if appointment is None:
        return _error(HTTPStatus.NOT_FOUND)
    audit.record(
        audit.Action.API_INTAKE_READ,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=current_staff().id,
        target=("appointment", appointment.id),
    )
    return jsonify(intake_body(appointment.intake))


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Return the OpenAPI 3.1 document of this API."""
    return jsonify(document())


@bp.get("/<path:rest>")
def not_found(rest: str) -> ResponseReturnValue:
    """Answer any other path under the API (an id that is not a number, say) with JSON 404."""
    return _error(HTTPStatus.NOT_FOUND, "There is nothing at this address in the API.")


def intake_body(intake: Intake | None) -> dict[str, Any]:
    """Build ``{"status", "ruleset", "answers", "flags", "acknowledgment"}``.

    Before submission nobody reads the answers saved so far (CONTRACT: ``{}``).
    """
    if intake is None or intake.status not in SUBMITTED:
        status = intake.status if intake else IntakeStatus.NOT_STARTED
        # Not screened yet: the rule set in force is the one that will screen it.
        return {
            "status": status.value,
            "ruleset": CURRENT.version,
            "answers": {},
            "flags": [],
            "acknowledgment": None,
        }
    flags = sorted(intake.flags or [], key=lambda f: Severity(f["severity"]).rank)
    return {
        "status": intake.status.value,
        "ruleset": intake.ruleset_version or CURRENT.version,
        "answers": {k: v for k, v in (intake.answers or {}).items() if isinstance(v, str)},
        "flags": [
            {
                "code": f["code"],
                "severity": f["severity"],
                "title": f["title"],
                "because": list(f["because"]),
                "source": f["source"],
            }
            for f in flags
        ],
        "acknowledgment": acknowledgment_body(intake.acknowledgment),
    }


def acknowledgment_body(ack: Acknowledgment | None) -> dict[str, Any] | None:
    if ack is None:
        return None
    return {
        "items": list(ack.items),
        "text_hash": ack.text_hash,
        "signature_name": ack.signature_name,
        "signed_at": ack.signed_at.isoformat(),
        # Added by issue 15 (CONTRACT section 6 allows it): the language of the
        # text the hash is of.
        "language": ack.locale,
    }
