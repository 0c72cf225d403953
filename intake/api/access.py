"""Who may call an API route: a staff session with a role, or a bearer token with a scope.

One decorator, :func:`require`, guards every API route that is not public::

    @bp.get("/appointments/<int:appointment_id>/intake")
    @require("read:intakes", roles={Role.CLINICIAN, Role.ADMIN})
    def appointment_intake(appointment_id: int) -> ResponseReturnValue: ...

The request is then one of two kinds:

- ``Authorization: Bearer itk_...``: the token must exist, not be revoked and
  not have expired (else 401 with ``WWW-Authenticate: Bearer``; each such
  failure counts against the client address with failed sign-ins, and an
  address over ``INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES`` gets 429), and must
  carry ``scope`` (else 403). Any session cookie is ignored. No CSRF token is
  needed: a browser never adds this header on its own. Every call is audited
  (``api_token.used``: the token's id, the method, the route pattern and the
  status; never the token).
- no such header: the staff session, as on the staff pages. Nobody signed in:
  401; a role outside ``roles``: 403; a pending password change or
  authenticator set-up: 403. An unsafe method (POST, PATCH...) needs the CSRF
  token (field ``csrf_token`` or header ``X-CSRFToken``), as every form does.

The access table (:mod:`intake.auth.access`) declares such routes
``Open.API``: this decorator is what guards them. Inside the view,
:func:`caller` says who is calling, for the audit trail.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ParamSpec

from flask import Response, current_app, g, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from intake import audit
from intake.api import tokens
from intake.api.tokens import Scope
from intake.auth import guard, throttle
from intake.extensions import csrf
from intake.models import ApiToken, Role

P = ParamSpec("P")

REALM = 'Bearer realm="intake"'


@dataclass(frozen=True)
class Requirement:
    """What :func:`require` asks of a route: a token with ``scope``, or a session with a role."""

    scope: Scope
    roles: frozenset[Role]


@dataclass(frozen=True)
class Caller:
    """Who is calling: a staff member (``user_id``) or a token (``token_id``), never both."""

    user_id: int | None = None
    token_id: int | None = None

    def actor(self) -> dict[str, Any]:
        """Keyword arguments for :func:`intake.audit.record` naming this caller."""
        if self.token_id is not None:
            return {"actor_kind": audit.ActorKind.API_TOKEN, "token_id": self.token_id}
        return {"actor_kind": audit.ActorKind.STAFF, "actor_id": self.user_id}


# The guarded view functions (as registered) and what each requires; read by
# the access table's tests so that every cell of the role matrix is checked.
REQUIREMENTS: dict[Callable[..., Any], Requirement] = {}


def requirement_of(view: Callable[..., Any]) -> Requirement | None:
    return REQUIREMENTS.get(view)


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header; "" for a bearer header without one."""
    header = request.headers.get("Authorization", "")
    kind, _, credentials = header.strip().partition(" ")
    if kind.lower() != "bearer":
        return None
    return credentials.strip()


def uses_bearer() -> bool:
    return bearer_token() is not None


def caller() -> Caller:
    """Who the current (guarded) request is for; only inside a view :func:`require` wraps."""
    found: Caller = g.api_caller
    return found


def error(status: HTTPStatus, message: str) -> Response:
    """The API's JSON error: ``{"error": "<short code>", "message": "<sentence>"}``."""
    response = jsonify({"error": status.phrase.lower().replace(" ", "_"), "message": message})
    response.status_code = status
    return response


def _roles_in_words(roles: frozenset[Role]) -> str:
    names = {Role.ADMIN: "admin", Role.CLINICIAN: "clinician", Role.FRONT_DESK: "front desk"}
    return " or ".join(names[role] for role in Role if role in roles)


def require(
    scope: Scope | str, roles: Iterable[Role]
) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, ResponseReturnValue]]:
    """Guard an API view: a bearer token with ``scope``, or a signed-in staff member in ``roles``.

    ``scope`` is a :class:`~intake.api.tokens.Scope` or its value (``"read:intakes"``);
    ``roles`` the staff roles whose session may call it. Put it under the
    route decorator, declare the endpoint ``Open.API`` in the access table
    (``intake.auth.access.ACCESS``), and read :func:`caller` in the view for
    the audit event::

        @bp.get("/fhir/QuestionnaireResponse/<int:appointment_id>")
        @require("read:intakes", roles={Role.CLINICIAN, Role.ADMIN})
        def questionnaire_response(appointment_id: int) -> ResponseReturnValue:
            audit.record(Action.API_INTAKE_READ, **caller().actor(), target=...)

    The role matrix test (``tests/staff/test_access_matrix.py``) then checks
    the route for every role, and ``api_token.used`` is recorded for every
    call made with a token.
    """
    needed = Requirement(Scope(scope), frozenset(roles))

    def decorate(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            token = bearer_token()
            if token is not None:
                return _with_token(token, needed, view, *args, **kwargs)
            refused = _session_refusal(needed)
            if refused is not None:
                return refused
            g.api_caller = Caller(user_id=current_user.id)
            return view(*args, **kwargs)

        REQUIREMENTS[guarded] = needed
        # CSRF is checked here, for session requests only (a bearer request
        # carries no cookie a forger could ride on).
        csrf.exempt(guarded)
        return guarded

    return decorate


def _session_refusal(needed: Requirement) -> Response | None:
    if not current_user.is_authenticated:
        response = error(
            HTTPStatus.UNAUTHORIZED,
            f"Sign in as {_roles_in_words(needed.roles)}, "
            f"or send an API token with the {needed.scope.value} scope.",
        )
        response.headers["WWW-Authenticate"] = REALM
        return response
    if current_user.role not in needed.roles or guard.required_step() is not None:
        return error(
            HTTPStatus.FORBIDDEN,
            f"Your role does not give access to this: it needs {_roles_in_words(needed.roles)}.",
        )
    config = current_app.config
    if config["WTF_CSRF_ENABLED"] and config["WTF_CSRF_CHECK_DEFAULT"]:
        csrf.protect()  # raises CSRFError (a 400) for an unsafe method without the token
    return None


def _with_token(
    token: str,
    needed: Requirement,
    view: Callable[P, ResponseReturnValue],
    *args: P.args,
    **kwargs: P.kwargs,
) -> ResponseReturnValue:
    # A failed token counts against the client address, with failed sign-ins
    # (INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES): an address over the limit is
    # answered 429 before any token is looked up.
    refused = throttle.refused(None, by_address=True)
    if refused is not None:
        return refused
    row = tokens.find_usable(token)
    if row is None:
        throttle.failed(None, by_address=True)
        response = error(
            HTTPStatus.UNAUTHORIZED,
            "The API token is not valid: it is unknown, has expired or was revoked.",
        )
        response.headers["WWW-Authenticate"] = f'{REALM}, error="invalid_token"'
        return response
    tokens.touch(row)
    if needed.scope.value not in row.scope_list:
        response = error(
            HTTPStatus.FORBIDDEN, f"This API token does not have the {needed.scope.value} scope."
        )
        response.headers["WWW-Authenticate"] = (
            f'{REALM}, error="insufficient_scope", scope="{needed.scope.value}"'
        )
    else:
        g.api_caller = Caller(token_id=row.id)
        try:
            response = make_response(view(*args, **kwargs))
        except HTTPException as exc:  # a refused body, say: the call is still a use
            _audit_use(row, exc.code or HTTPStatus.INTERNAL_SERVER_ERROR)
            raise
    _audit_use(row, response.status_code)
    return response


def _audit_use(row: ApiToken, status: int) -> None:
    rule = request.url_rule
    audit.record(
        audit.Action.API_TOKEN_USED,
        actor_kind=audit.ActorKind.API_TOKEN,
        target=("api_token", row.id),
        method=request.method,
        route=rule.rule if rule is not None else None,
        status=status,
    )
