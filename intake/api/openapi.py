"""The OpenAPI 3.1 document of the JSON API, served at ``/api/v1/openapi.json``.

Written by hand from CONTRACT section 6; ``tests/staff/test_api_schema.py``
runs schemathesis against it, so the document and the API cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from intake.models import IntakeStatus
from intake.screening import Severity

API_VERSION = "1.0.0"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
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
                "Read-only access to an appointment's intake for clinicians and admins, "
                "signed in to the staff site (the session cookie authenticates). Front desk "
                "accounts are refused: they never see screening answers."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"staffSession": []}],
        "paths": {
            "/api/v1/appointments/{appointment_id}/intake": {
                "get": {
                    "operationId": "getAppointmentIntake",
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
                        "401": _error("Nobody is signed in."),
                        "403": _error("Signed in with a role that may not read intakes."),
                        "404": _error("No appointment with this id."),
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {
                "staffSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The staff site's session cookie, set by `POST /login`.",
                }
            },
            "schemas": _schemas(),
        },
    }


def _schemas() -> dict[str, Any]:
    return {
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
