"""Who may use which route: the one table to read, enforced before every request.

Every endpoint is listed here (exactly, or by its blueprint as ``"name.*"``).
An endpoint that is missing is refused for everybody, and the role x route
test fails, so a new route cannot go live without a declaration.
"""

from __future__ import annotations

from enum import Enum
from http import HTTPStatus

from flask import Flask, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from intake.api import access as api_access
from intake.auth import guard
from intake.models import Role


class Open(Enum):
    """Routes that no staff sign-in guards."""

    PUBLIC = "public"  # anyone: health check, static files, sign-in page
    PATIENT = "patient"  # guarded by the intake link and the patient's own cookie
    # Guarded by intake.api.access.require on the view: a bearer token with a
    # scope, or a staff session with one of the roles the decorator names.
    API = "api"


ADMIN, CLINICIAN, FRONT_DESK = Role.ADMIN, Role.CLINICIAN, Role.FRONT_DESK
ANY_STAFF = frozenset(Role)

Access = Open | frozenset[Role]

ACCESS: dict[str, Access] = {
    # -- open ------------------------------------------------------------------
    "static": Open.PUBLIC,
    "health.healthz": Open.PUBLIC,
    "site.*": Open.PUBLIC,  # the front door, robots.txt, favicon
    "patients.*": Open.PATIENT,
    # The "no more reminders" page of an email: its signed token is the key.
    "mail.*": Open.PATIENT,
    # -- sign-in and account (auth) ------------------------------------------------
    "auth.login": Open.PUBLIC,
    "auth.login_code": Open.PUBLIC,
    "auth.logout": ANY_STAFF,
    "auth.home": ANY_STAFF,
    "auth.account": ANY_STAFF,
    "auth.change_password": ANY_STAFF,
    "auth.two_factor": ANY_STAFF,
    "auth.two_factor_remove": ANY_STAFF,
    "auth.recovery_codes": ANY_STAFF,
    "auth.end_other_sessions": ANY_STAFF,
    # -- clinician review (review) -----------------------------------------------
    "review.*": frozenset({CLINICIAN, ADMIN}),
    # -- front desk (frontdesk) --------------------------------------------------
    "frontdesk.*": frozenset({FRONT_DESK, ADMIN}),
    # -- admin (admin) -----------------------------------------------------------
    "admin.*": frozenset({ADMIN}),
    # -- JSON API (api) ------------------------------------------------------------
    "api.openapi": Open.PUBLIC,
    "api.not_found": Open.PUBLIC,  # JSON 404 for any other /api/v1/ path
    # FHIR R4 export (intake.api.fhir): the questionnaire holds no patient data.
    "api.fhir_questionnaire": Open.API,  # read:intakes; every staff role
    "api.fhir_intake": Open.API,  # read:intakes; clinician, admin
    "api.appointment_intake": Open.API,  # read:intakes; clinician, admin
    "api.create_appointment": Open.API,  # write:appointments; front desk, admin
    "api.update_appointment": Open.API,  # write:appointments; front desk, admin
    "api.cancel_appointment": Open.API,  # write:appointments; front desk, admin
}


def access_for(endpoint: str) -> Access | None:
    """Return the declaration for ``endpoint``, or None when it has none."""
    if endpoint in ACCESS:
        return ACCESS[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    return ACCESS.get(f"{blueprint}.*") if blueprint else None


def enforce_access() -> ResponseReturnValue | None:
    """Refuse the request unless the signed-in staff member's role is allowed.

    First an idle or too old session is ended (see :mod:`intake.auth.guard`),
    then a pending password change or compulsory authenticator comes before
    any staff page.
    """
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":  # 404/405 handlers answer unmatched URLs
        return None
    rule = access_for(endpoint)
    if rule is Open.PATIENT or (rule is Open.API and api_access.uses_bearer()):
        # Patient pages ignore any staff session (a clinic tablet may hold
        # one): no staff user is loaded, expired or sent to a pending step.
        # Nor does a token call read, extend or end one.
        return None
    guard.expire_if_due()
    if isinstance(rule, Open):
        return None
    if rule is None:
        abort(HTTPStatus.FORBIDDEN)
    api = request.path.startswith("/api/")
    if not current_user.is_authenticated:
        if api:
            abort(HTTPStatus.UNAUTHORIZED)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in rule:
        abort(HTTPStatus.FORBIDDEN)
    step = guard.required_step()
    if step is not None and step != endpoint:
        if api:
            abort(HTTPStatus.FORBIDDEN)
        return redirect(url_for(step))
    return None


def init_app(app: Flask) -> None:
    app.before_request(enforce_access)
