"""The JSON API (CONTRACT section 6) and its OpenAPI 3.1 document.

Every answer from this blueprint is JSON, errors included:
``{"error": "<short code>", "message": "<sentence>"}``.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    RequestURITooLarge,
)

from intake import appointments, audit, errors, links
from intake.api.access import caller, error, require
from intake.api.openapi import document
from intake.api.tokens import Scope
from intake.bad_input import BadInput
from intake.errors import ServiceError
from intake.extensions import db
from intake.links import AppointmentCancelledError
from intake.models import SUBMITTED, Acknowledgment, Appointment, Intake, IntakeStatus, Role
from intake.screening import CURRENT, Severity

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_ID = 2**31 - 1

MESSAGES = {
    HTTPStatus.UNAUTHORIZED: "Sign in, or send an API token.",
    HTTPStatus.FORBIDDEN: "This is not open to you.",
    HTTPStatus.NOT_FOUND: "There is no appointment with this id.",
    HTTPStatus.METHOD_NOT_ALLOWED: "This method is not allowed here.",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The request body is too large. Nothing was saved.",
}


def _error(status: HTTPStatus, message: str | None = None) -> Response:
    return error(status, message or MESSAGES.get(status, status.description))


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
@require(Scope.READ_INTAKES, roles={Role.CLINICIAN, Role.ADMIN})
def appointment_intake(appointment_id: int) -> ResponseReturnValue:
    """Return the appointment's intake as CONTRACT section 6 describes it.

    :raise 404: no appointment with this id.
    """
    appointment = read_appointment(appointment_id)
    if appointment is None:
        return _error(HTTPStatus.NOT_FOUND)
    return jsonify(intake_body(appointment.intake))


def read_appointment(appointment_id: int, **detail: str) -> Appointment | None:
    """Return the appointment whose intake the caller reads, audited; None: no such appointment.

    One read of an intake through the API, whatever its format (``detail``:
    e.g. ``format="fhir"``), is one ``api.intake_read`` event naming the caller.
    """
    appointment = (
        db.session.get(Appointment, appointment_id) if 0 < appointment_id <= MAX_ID else None
    )
    if appointment is not None:
        audit.record(
            audit.Action.API_INTAKE_READ,
            target=("appointment", appointment.id),
            **caller().actor() | detail,
        )
    return appointment


# The API's names for the booking fields; intake.appointments reads "dob".
BOOKING_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "date_of_birth": "dob",
    "at": "at",
    "email": "email",
    "phone": "phone",
}

# The API's words for each code of intake.appointments.parse_booking.
BOOKING_MESSAGES = {
    "first_name.required": "first_name is required.",
    "first_name.too_long": "first_name must be at most 100 characters.",
    "last_name.required": "last_name is required.",
    "last_name.too_long": "last_name must be at most 100 characters.",
    "dob.format": "date_of_birth must be a date in the form YYYY-MM-DD.",
    "dob.future": "date_of_birth must be in the past.",
    "dob.too_recent": "date_of_birth must be more than a year ago.",
    "dob.too_early": "date_of_birth must be after 1900.",
    "at.format": "at must be the clinic's local time in the form YYYY-MM-DDTHH:MM.",
    "at.past": "at is in the past.",
    "email.invalid": "email is not a valid address, like name@example.com.",
    "phone.invalid": "phone is not a phone number.",
    "type": "must be a string.",
    "unknown": "is not a field of a booking.",
}


def _invalid(problems: list[tuple[str, str]]) -> Response:
    """422 naming every wrong field: ``fields`` is a list of {field, code, message}."""
    fields = []
    for field, code in problems:
        message = BOOKING_MESSAGES[code]
        if code in ("type", "unknown"):
            message = f"{field} {message}"
        fields.append({"field": field, "code": code, "message": message})
    response = jsonify(
        {"error": "invalid_input", "message": fields[0]["message"], "fields": fields}
    )
    response.status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    return response


@bp.post("/appointments")
@require(Scope.WRITE_APPOINTMENTS, roles={Role.FRONT_DESK, Role.ADMIN})
def create_appointment() -> ResponseReturnValue:
    """Book an appointment and issue its intake link, as ``appointments add`` does.

    Answers 201 with ``{"appointment_id", "intake_url"}``; 422 naming every
    wrong field; 409 when the person is already booked at that time.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(
            HTTPStatus.BAD_REQUEST,
            "Send a JSON object (Content-Type: application/json) with the booking's fields.",
        )
    # A field of the wrong type is named as such, and read as missing, so
    # every other wrong field is named in the same answer.
    wrong_type = [name for name in BOOKING_FIELDS if not isinstance(body.get(name), str | None)]
    values = {
        key: None if name in wrong_type else body.get(name) for name, key in BOOKING_FIELDS.items()
    }
    problems = dict.fromkeys(wrong_type, "type")
    try:
        booking = appointments.parse_booking(values, tz=current_app.config["INTAKE_TZ"])
    except appointments.BookingInputError as exc:
        api_name = {key: name for name, key in BOOKING_FIELDS.items()}
        for key, code in exc.errors.items():
            problems.setdefault(api_name[key], code)
    problems |= {name: "unknown" for name in body if name not in BOOKING_FIELDS}
    if problems:
        order = list(BOOKING_FIELDS)
        return _invalid(
            sorted(problems.items(), key=lambda p: order.index(p[0]) if p[0] in order else 99)
        )
    try:
        appointment, _link, token = appointments.book(booking, by=caller().user_id)
    except appointments.DuplicateBookingError as exc:
        return _change_refused(exc)
    response = jsonify({"appointment_id": appointment.id, "intake_url": links.intake_url(token)})
    response.status_code = HTTPStatus.CREATED
    response.headers["Location"] = url_for("api.appointment_intake", appointment_id=appointment.id)
    return response


# Any text, read by _appointment_or_none: a PATCH or POST to an id that is
# not a number is a 404 like an unknown one (an int converter would leave it
# to the GET-only catch-all, a 405).
APPOINTMENT_ID = "<appointment_id>"


def _appointment_or_none(text: str) -> Appointment | None:
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else 0
    return db.session.get(Appointment, number) if 0 < number <= MAX_ID else None


def _conflict(code: str, message: str, **extra: object) -> Response:
    """409 ``{"error": "conflict", "code", "message", ...}``."""
    response = jsonify({"error": "conflict", "code": code, "message": message, **extra})
    response.status_code = HTTPStatus.CONFLICT
    return response


def appointment_body(appointment: Appointment, changed: list[str] | None = None) -> dict[str, Any]:
    """``{"appointment_id", "at", "cancelled"}`` as ``appointments update`` prints it."""
    tz = current_app.config["INTAKE_TZ"]
    body: dict[str, Any] = {
        "appointment_id": appointment.id,
        "at": appointment.starts_at.astimezone(tz).strftime(appointments.TIME_FORMAT),
        "cancelled": appointment.cancelled,
    }
    if changed is not None:
        body["changed"] = changed
    return body


def _api_field(key: str) -> str:
    return {key: name for name, key in BOOKING_FIELDS.items()}[key]


@bp.patch(f"/appointments/{APPOINTMENT_ID}")
@require(Scope.WRITE_APPOINTMENTS, roles={Role.FRONT_DESK, Role.ADMIN})
def update_appointment(appointment_id: str) -> ResponseReturnValue:
    """Change the appointment's patient details or time, as ``appointments update`` does.

    Only the fields sent change; ``email`` or ``phone`` sent as "" is removed.
    Every field is checked before anything changes.

    :raise 404: no appointment with this id.
    """
    appointment = _appointment_or_none(appointment_id)
    if appointment is None:
        return _error(HTTPStatus.NOT_FOUND)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(
            HTTPStatus.BAD_REQUEST,
            "Send a JSON object (Content-Type: application/json) with the fields to change.",
        )
    details, starts_at, problems = _parse_change(appointment, body)
    if problems:
        order = list(BOOKING_FIELDS)
        return _invalid(
            sorted(problems.items(), key=lambda p: order.index(p[0]) if p[0] in order else 99)
        )
    try:
        # A savepoint: a move refused after a detail edit takes the edit (and
        # its audit event) back with it; the call itself stays audited.
        with db.session.begin_nested():
            changed = _apply_change(appointment, details, starts_at)
    except ServiceError as exc:
        return _change_refused(exc)
    return jsonify(appointment_body(appointment, changed))


def _parse_change(
    appointment: Appointment, body: dict[str, Any]
) -> tuple[appointments.Details | None, dt.datetime | None, dict[str, str]]:
    """Check every field sent (merged onto the stored ones); return what to change and problems."""
    problems = {
        name: "type" for name in BOOKING_FIELDS if not isinstance(body.get(name), str | None)
    }
    problems |= dict.fromkeys((name for name in body if name not in BOOKING_FIELDS), "unknown")
    given = {
        BOOKING_FIELDS[name]: value
        for name, value in body.items()
        if name in BOOKING_FIELDS and name != "at" and isinstance(value, str)
    }
    at = body.get("at")
    tz = current_app.config["INTAKE_TZ"]
    details = starts_at = None
    if given:
        current: dict[str, str | None] = {
            "first_name": appointment.first_name,
            "last_name": appointment.last_name,
            "dob": appointment.date_of_birth.isoformat(),
            "email": appointment.email,
            "phone": appointment.phone,
        }
        try:
            details = appointments.parse_details(current | given, tz=tz)
        except appointments.BookingInputError as exc:
            for key, code in exc.errors.items():
                problems.setdefault(_api_field(key), code)
    if isinstance(at, str):
        try:
            starts_at = appointments.parse_start(at, tz=tz)
        except appointments.BookingInputError as exc:
            problems.setdefault("at", exc.errors["at"])
    return details, starts_at, problems


def _apply_change(
    appointment: Appointment, details: appointments.Details | None, starts_at: dt.datetime | None
) -> list[str]:
    """Apply the checked change; return the API names of the fields that changed.

    :raise AppointmentCancelledError, appointments.SignedError,
        appointments.DuplicateBookingError: as the services do.
    """
    by = caller().user_id
    changed: list[str] = []
    if details is not None:
        changed = [_api_field(k) for k in appointments.edit_details(appointment.id, details, by=by)]
    if starts_at is not None and appointments.reschedule(appointment.id, starts_at, by=by):
        changed.append("at")
    return changed


def _change_refused(exc: ServiceError) -> Response:
    if isinstance(exc, appointments.DuplicateBookingError):
        return _conflict(
            "booking.duplicate",
            "This person already has an appointment at this time.",
            appointment_id=exc.existing_id,
        )
    if isinstance(exc, appointments.SignedError):
        return _conflict(
            "appointment.signed",
            "The patient has signed the acknowledgment, so their details cannot change "
            "(cancel and book again if they are wrong).",
        )
    if isinstance(exc, AppointmentCancelledError):
        return _conflict(
            "appointment.cancelled", "This appointment is cancelled; it cannot change."
        )
    raise exc


@bp.post(f"/appointments/{APPOINTMENT_ID}/cancel")
@require(Scope.WRITE_APPOINTMENTS, roles={Role.FRONT_DESK, Role.ADMIN})
def cancel_appointment(appointment_id: str) -> ResponseReturnValue:
    """Cancel the appointment, as ``appointments cancel`` does: its intake link stops working.

    An optional JSON body ``{"reason": "..."}`` is kept for staff, never shown to the patient.

    :raise 404: no appointment with this id.
    """
    appointment = _appointment_or_none(appointment_id)
    if appointment is None:
        return _error(HTTPStatus.NOT_FOUND)
    body = request.get_json(silent=True) if request.get_data(cache=True) else {}
    if (
        not isinstance(body, dict)
        or set(body) - {"reason"}
        or not isinstance(body.get("reason", ""), str)
    ):
        return _error(HTTPStatus.BAD_REQUEST, 'Send no body, or a JSON object {"reason": "..."}.')
    reason = body.get("reason") or ""
    try:
        appointments.cancel(appointment.id, reason=reason, by=caller().user_id)
    except AppointmentCancelledError:
        return _conflict("appointment.cancelled", "This appointment was already cancelled.")
    return jsonify(appointment_body(appointment))


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """Return the OpenAPI 3.1 document of this API."""
    return jsonify(document())


@bp.get("/<path:rest>")
def not_found(rest: str) -> ResponseReturnValue:
    """Answer any other path under the API (an id that is not a number, say) with JSON 404.

    A GET or HEAD of an address that exists for other methods only
    (``/appointments`` takes POST) is a 405 naming them, as the router would
    answer had this catch-all not matched first.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _values = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
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


# The FHIR R4 export's routes live on this blueprint too; imported last, as
# it imports ``bp`` and the error helper from here.
from intake.api import fhir  # noqa: E402, F401
