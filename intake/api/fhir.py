"""The FHIR R4 export: the questionnaire and an appointment's intake (``intake.fhir``).

Resources are built by :mod:`intake.fhir`; these views only find, check
access, audit and answer with ``application/fhir+json``. Errors are the API's
usual JSON errors, exactly as ``GET /api/v1/appointments/<id>/intake`` gives.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from flask import Response, current_app, request
from flask.typing import ResponseReturnValue

from intake import fhir
from intake.api.access import require
from intake.api.tokens import Scope
from intake.api.views import _error, bp, read_appointment
from intake.models import Role
from intake.screening import CURRENT, RULESETS

# As for GET /api/v1/appointments/<id>/intake: front desk never sees answers.
INTAKE_READERS = frozenset({Role.CLINICIAN, Role.ADMIN})
# Every staff role: the questionnaire holds no patient data.
QUESTIONNAIRE_READERS = frozenset(Role)
# The longest version string worth looking up (``rs-`` and 12 hex digits).
MAX_VERSION_LENGTH = 32


def fhir_response(resource: dict[str, Any]) -> Response:
    # Not jsonify: it sorts keys, and FHIR JSON reads best with resourceType
    # first and each element in the order the specification lists it.
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype=fhir.MEDIA_TYPE)


@bp.get("/questionnaire")
@require(Scope.READ_INTAKES, roles=QUESTIONNAIRE_READERS)
def fhir_questionnaire() -> ResponseReturnValue:
    """Return the rule set's questions as a FHIR R4 Questionnaire (``?version=``: an earlier set).

    :raise 404: no published rule set has this version.
    """
    version = request.args.get("version")
    if version is None:
        rs = CURRENT
    else:
        found = RULESETS.get(version) if len(version) <= MAX_VERSION_LENGTH else None
        if found is None:
            return _error(HTTPStatus.NOT_FOUND, "There is no published rule set with this version.")
        rs = found
    config = current_app.config
    return fhir_response(
        fhir.questionnaire(
            rs, config["INTAKE_BASE_URL"], publisher=config.get("INTAKE_CLINIC_NAME")
        )
    )


@bp.get("/appointments/<int:appointment_id>/intake.fhir")
@require(Scope.READ_INTAKES, roles=INTAKE_READERS)
def fhir_intake(appointment_id: int) -> ResponseReturnValue:
    """Return the appointment's intake as a FHIR R4 Bundle.

    :raise 404: no appointment with this id.
    """
    appointment = read_appointment(appointment_id, format="fhir")
    if appointment is None:
        return _error(HTTPStatus.NOT_FOUND)
    return fhir_response(fhir.intake_bundle(appointment, current_app.config["INTAKE_BASE_URL"]))
