"""The OpenAPI 3.1 document of the JSON API, served at ``/api/v1/openapi.json``.

Written by hand from CONTRACT section 6 and the integrator endpoints;
``tests/staff/test_api_schema.py`` runs schemathesis against it (with a
staff session and with a bearer token), so the document and the API cannot
drift apart.
"""

from __future__ import annotations

from typing import Any

from intake.api.tokens import Scope
from intake.models import IntakeStatus
from intake.screening import Severity

API_VERSION = "1.1.0"


# Either scheme authenticates: the staff session (with its role) or a bearer token.
def _security(scope: Scope) -> list[dict[str, list[str]]]:
    return [{"staffSession": []}, {"bearerToken": [scope.value]}]


def _json(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_APPOINTMENT_ID = {
    "name": "appointment_id",
    "in": "path",
    "required": True,
    "description": "The appointment's id, as `appointments add` prints.",
    "schema": {"type": "integer", "minimum": 1, "format": "int32"},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "intake API",
            "version": API_VERSION,
            "summary": "A patient's pre-treatment screening for a microneedling appointment.",
            "description": (
                "An appointment's intake for clinicians and admins, and booking for the "
                "front desk and admins, signed in to the staff site (the session cookie "
                "authenticates; unsafe methods also need the CSRF token in `X-CSRFToken`). "
                "Front desk accounts never see screening answers. Other systems send an "
                "API token an admin created (`Authorization: Bearer itk_...`); each "
                "operation names the scope it needs. The FHIR R4 "
                "export's questionnaire holds no patient data and is open to every staff role."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"staffSession": []}],
        "paths": {
            "/api/v1/appointments": {
                "post": {
                    "operationId": "bookAppointment",
                    "summary": "Book an appointment and get the patient's intake link",
                    "description": (
                        "As `appointments add` on the command line: the same checks, the "
                        "same answer. `at` is the clinic's local time (`INTAKE_TIMEZONE`). "
                        "Every wrong field is named at once (422); a value that is not text "
                        "is refused with 400."
                    ),
                    "security": _security(Scope.WRITE_APPOINTMENTS),
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Booking"}}
                        },
                    },
                    "responses": {
                        "201": {
                            **_json("Booked", "Booked; `Location` is the intake's address."),
                            "headers": {
                                "Location": {
                                    "description": "The appointment's intake in this API.",
                                    "schema": {"type": "string"},
                                }
                            },
                        },
                        "400": _error("The body is not a JSON object of text values."),
                        "401": _error("Not signed in, and no valid token."),
                        "429": _json(
                            "TooManyRequests",
                            "Too many failed tokens or sign-ins from this address; "
                            "see `Retry-After`.",
                        ),
                        "403": _error("A role or a token without the scope."),
                        "409": _json("DuplicateBooking", "Already booked at this time."),
                        "422": _json("InvalidInput", "One or more fields are wrong."),
                    },
                }
            },
            "/api/v1/appointments/{appointment_id}": {
                "patch": {
                    "operationId": "changeAppointment",
                    "summary": "Change the patient's details or the time",
                    "description": (
                        "As `appointments update`: only the fields sent change (`email` or "
                        '`phone` sent as `""` is removed); every field is checked before '
                        "anything changes. Details cannot change once the patient has signed "
                        "the acknowledgment (409 `appointment.signed`); a cancelled "
                        "appointment cannot change (409 `appointment.cancelled`)."
                    ),
                    "security": _security(Scope.WRITE_APPOINTMENTS),
                    "parameters": [_APPOINTMENT_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/AppointmentChange"}
                            }
                        },
                    },
                    "responses": {
                        "200": _json("Appointment", "Changed (or already so: `changed` is `[]`)."),
                        "400": _error("The body is not a JSON object of text values."),
                        "401": _error("Not signed in, and no valid token."),
                        "429": _json(
                            "TooManyRequests",
                            "Too many failed tokens or sign-ins from this address; "
                            "see `Retry-After`.",
                        ),
                        "403": _error("A role or a token without the scope."),
                        "404": _error("No appointment with this id."),
                        "409": _json("Conflict", "Cancelled, signed, or a duplicate booking."),
                        "422": _json("InvalidInput", "One or more fields are wrong."),
                    },
                }
            },
            "/api/v1/appointments/{appointment_id}/cancel": {
                "post": {
                    "operationId": "cancelAppointment",
                    "summary": "Cancel the appointment: its intake link stops working",
                    "description": (
                        "As `appointments cancel`. The intake is kept as it is. An optional "
                        "`reason` is kept for staff and never shown to the patient."
                    ),
                    "security": _security(Scope.WRITE_APPOINTMENTS),
                    "parameters": [_APPOINTMENT_ID],
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {
                                        "reason": {
                                            "type": "string",
                                            "description": "Kept up to 500 characters.",
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json("Appointment", "Cancelled."),
                        "400": _error("The body is not a JSON object with only `reason`."),
                        "401": _error("Not signed in, and no valid token."),
                        "429": _json(
                            "TooManyRequests",
                            "Too many failed tokens or sign-ins from this address; "
                            "see `Retry-After`.",
                        ),
                        "403": _error("A role or a token without the scope."),
                        "404": _error("No appointment with this id."),
                        "409": _json("Conflict", "Already cancelled."),
                    },
                }
            },
            "/api/v1/appointments/{appointment_id}/intake": {
                "get": {
                    "operationId": "getAppointmentIntake",
                    "security": _security(Scope.READ_INTAKES),
                    "summary": "The appointment's intake: status, answers, flags, acknowledgment",
                    "description": (
                        "Before the patient submits, `answers` is `{}`, `flags` is `[]`, "
                        "`acknowledgment` is `null` and `ruleset` is the rule set in force, "
                        "which will screen the intake. After submission `ruleset` and `flags` "
                        "are those of the moment of submission and never change."
                    ),
                    "parameters": [
                        {
                            "name": "appointment_id",
                            "in": "path",
                            "required": True,
                            "description": "The appointment's id, as `appointments add` prints.",
                            "schema": {"type": "integer", "minimum": 1, "format": "int32"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The intake.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Intake"}
                                }
                            },
                        },
                        "401": _error("Nobody is signed in, and no valid token was sent."),
                        "429": _json(
                            "TooManyRequests",
                            "Too many failed tokens or sign-ins from this address; "
                            "see `Retry-After`.",
                        ),
                        "403": _error(
                            "Signed in with a role that may not read intakes, or a token "
                            "without the read:intakes scope."
                        ),
                        "404": _error("No appointment with this id."),
                    },
                }
            },
            **_fhir_paths(),
        },
        "components": {
            "securitySchemes": {
                "staffSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The staff site's session cookie, set by `POST /login`.",
                },
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "An API token (`itk_...`) an admin created on the staff site, with "
                        "scopes " + ", ".join(f"`{s.value}`" for s in Scope) + ". Unknown, "
                        "expired or revoked: 401 with `WWW-Authenticate: Bearer`; without "
                        "the operation's scope: 403."
                    ),
                },
            },
            "schemas": _schemas(),
        },
    }


def _fhir(schema: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/fhir+json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }


def _fhir_paths() -> dict[str, Any]:
    """The FHIR R4 export (intake.api.fhir); the README's "FHIR R4 export" describes it."""
    return {
        "/api/v1/questionnaire": {
            "get": {
                "operationId": "getQuestionnaire",
                "summary": "The rule set's questions as a FHIR R4 Questionnaire",
                "description": (
                    "Any signed-in staff role. One `group` item per step; each question a "
                    "`boolean` item whose `linkId` is the question id; its `<id>_details` a "
                    "`string` item enabled by a yes. `url` is this address, `version` the rule "
                    "set version; the set in force is `active`, an earlier one `retired`."
                ),
                "parameters": [
                    {
                        "name": "version",
                        "in": "query",
                        "required": False,
                        "description": "A published rule set version (default: the one in force).",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _fhir("FhirQuestionnaire", "The questionnaire."),
                    "401": _error("Nobody is signed in."),
                    "404": _error("No published rule set has this version."),
                },
            }
        },
        "/api/v1/appointments/{appointment_id}/intake.fhir": {
            "get": {
                "operationId": "getAppointmentIntakeFhir",
                "summary": "The appointment's intake as a FHIR R4 Bundle (type collection)",
                "description": (
                    "The same intake and the same access as `.../intake`, as FHIR R4: a "
                    "`QuestionnaireResponse` (`in-progress`, with no answers, until the patient "
                    "submits; then `completed`), one `Flag` per raised flag, most serious first, "
                    "and the acknowledgment as a `Consent`. Empty before the patient starts."
                ),
                "parameters": [
                    {
                        "name": "appointment_id",
                        "in": "path",
                        "required": True,
                        "description": "The appointment's id, as `appointments add` prints.",
                        "schema": {"type": "integer", "minimum": 1, "format": "int32"},
                    }
                ],
                "responses": {
                    "200": _fhir("FhirBundle", "The intake as a Bundle."),
                    "401": _error("Nobody is signed in."),
                    "403": _error("Signed in with a role that may not read intakes."),
                    "404": _error("No appointment with this id."),
                },
            }
        },
    }


def _fhir_resource(resource_type: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"A FHIR R4 {resource_type} (https://hl7.org/fhir/R4/).",
        "required": ["resourceType"],
        "properties": {"resourceType": {"const": resource_type}},
    }


def _schemas() -> dict[str, Any]:
    return {
        "FhirQuestionnaire": _fhir_resource("Questionnaire"),
        "FhirBundle": _fhir_resource("Bundle"),
        "Intake": {
            "type": "object",
            "additionalProperties": False,
            "required": ["status", "ruleset", "answers", "flags", "acknowledgment"],
            "properties": {
                "status": {"type": "string", "enum": [s.value for s in IntakeStatus]},
                "ruleset": {"type": "string", "pattern": "^rs-[0-9a-f]{12}$"},
                "answers": {
                    "type": "object",
                    "description": (
                        "Question id to `yes`/`no`; `<id>_details` to the patient's text."
                    ),
                    "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                    "patternProperties": {
                        "_details$": {"type": "string"},
                    },
                    "additionalProperties": {"type": "string", "enum": ["yes", "no"]},
                },
                "flags": {
                    "type": "array",
                    "description": "Most serious first.",
                    "items": {"$ref": "#/components/schemas/Flag"},
                },
                "acknowledgment": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/Acknowledgment"},
                        {"type": "null"},
                    ]
                },
            },
        },
        "Flag": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "severity", "title", "because", "source"],
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                "severity": {"type": "string", "enum": [s.value for s in Severity]},
                "title": {"type": "string"},
                "because": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                },
                "source": {
                    "type": "string",
                    "description": "`article`, or the citation of the clinical source.",
                },
            },
        },
        "Acknowledgment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["items", "text_hash", "signature_name", "signed_at"],
            "properties": {
                "items": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                },
                "text_hash": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                "signature_name": {"type": "string"},
                "signed_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "ISO 8601 with a UTC offset.",
                },
                "language": {
                    "type": "string",
                    "description": "The language the patient read and signed the text in "
                    "(a language tag: en, es); text_hash is the hash of that text.",
                },
            },
        },
        "Booking": {
            "type": "object",
            "additionalProperties": False,
            "required": ["first_name", "last_name", "date_of_birth", "at"],
            "properties": {
                "first_name": {"type": "string", "minLength": 1, "maxLength": 100},
                "last_name": {"type": "string", "minLength": 1, "maxLength": 100},
                "date_of_birth": {"type": "string", "format": "date", "example": "1990-05-17"},
                "at": {
                    "type": "string",
                    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$",
                    "description": "The clinic's local time, `YYYY-MM-DDTHH:MM`, not passed.",
                    "example": "2030-03-04T10:30",
                },
                "email": {"type": "string", "format": "email"},
                "phone": {"type": "string", "maxLength": 40},
            },
        },
        "Booked": {
            "type": "object",
            "additionalProperties": False,
            "required": ["appointment_id", "intake_url"],
            "properties": {
                "appointment_id": {"type": "integer", "minimum": 1},
                "intake_url": {
                    "type": "string",
                    "format": "uri",
                    "description": "The patient's intake link: send it to them.",
                },
            },
        },
        "DuplicateBooking": {
            "type": "object",
            "additionalProperties": False,
            "required": ["error", "code", "message", "appointment_id"],
            "properties": {
                "error": {"const": "conflict"},
                "code": {"const": "booking.duplicate"},
                "message": {"type": "string"},
                "appointment_id": {
                    "type": ["integer", "null"],
                    "description": "The appointment already booked for this person then.",
                },
            },
        },
        "AppointmentChange": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "first_name": {"type": "string", "minLength": 1, "maxLength": 100},
                "last_name": {"type": "string", "minLength": 1, "maxLength": 100},
                "date_of_birth": {"type": "string", "format": "date"},
                "at": {
                    "type": "string",
                    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$",
                    "description": "The new local time, `YYYY-MM-DDTHH:MM`, not passed.",
                },
                "email": {"type": "string", "description": '`""` removes it.'},
                "phone": {"type": "string", "maxLength": 40, "description": '`""` removes it.'},
            },
        },
        "Appointment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["appointment_id", "at", "cancelled"],
            "properties": {
                "appointment_id": {"type": "integer", "minimum": 1},
                "at": {"type": "string", "description": "Local clinic time, `YYYY-MM-DDTHH:MM`."},
                "cancelled": {"type": "boolean"},
                "changed": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "The fields that changed (PATCH only).",
                },
            },
        },
        "Conflict": {
            "type": "object",
            "additionalProperties": False,
            "required": ["error", "code", "message"],
            "properties": {
                "error": {"const": "conflict"},
                "code": {
                    "type": "string",
                    "enum": ["booking.duplicate", "appointment.signed", "appointment.cancelled"],
                },
                "message": {"type": "string"},
                "appointment_id": {
                    "type": ["integer", "null"],
                    "description": "For a duplicate: the appointment already booked then.",
                },
            },
        },
        "InvalidInput": {
            "type": "object",
            "additionalProperties": False,
            "required": ["error", "message", "fields"],
            "properties": {
                "error": {"const": "invalid_input"},
                "message": {"type": "string", "description": "The first problem, in words."},
                "fields": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["field", "code", "message"],
                        "properties": {
                            "field": {"type": "string"},
                            "code": {
                                "type": "string",
                                "description": (
                                    "`<field>.<problem>` (`dob.future`, `at.past`), or "
                                    "`type` / `unknown`."
                                ),
                            },
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        },
        "TooManyRequests": {
            "type": "object",
            "additionalProperties": False,
            "required": ["error", "message", "retry_after"],
            "properties": {
                "error": {"const": "too_many_requests"},
                "message": {"type": "string"},
                "retry_after": {"type": ["integer", "null"]},
            },
        },
        "Error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string"},
                "message": {"type": "string"},
            },
        },
    }
