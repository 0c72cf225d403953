"""The errors services raise: each has a stable ``code`` that views and commands map to words.

A service says *what* went wrong with a code; the page, the API or the command
line says it in its own words (and language). Nothing matches on messages.

Also the one 429 answer (:func:`too_many_requests`), worded for whoever hit
the limit: a patient, staff or an API client.
"""

from __future__ import annotations

import math
import time
from enum import StrEnum
from http import HTTPStatus

from flask import Response, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext, ngettext
from sqlalchemy import exc as sa_exc


class ServiceError(Exception):
    """A state change was refused; ``code`` names why, ``field`` the input at fault (if any)."""

    code: str = "refused"

    def __init__(self, code: str | None = None, *, field: str | None = None) -> None:
        self.code = code or self.code
        self.field = field
        super().__init__(self.code)


class InputError(ServiceError):
    """The input is wrong; ``field`` names it and ``code`` says how (``"dob.future"``)."""

    code = "invalid"


class ConflictError(ServiceError):
    """The record is no longer in the state the change needs (someone else got there first)."""

    code = "conflict"


class NotFoundError(ServiceError):
    code = "not_found"


# -- Too many requests: one answer per audience -----------------------------------


class Audience(StrEnum):
    """Who a refusal is written for: the wording, and the format, follow."""

    PATIENT = "patient"
    STAFF = "staff"
    API = "api"


def audience() -> Audience:
    """Return who the current request is from, by the route it reached (or tried to).

    The API (and any client that sent JSON or asks for it, such as a script
    signing in) gets JSON; patient pages (the link, the intake) get the
    patient's wording; everything else, sign-in included, is staff.
    """
    from intake.auth.access import Open, access_for

    if request.path.startswith("/api/") or request.is_json:
        return Audience.API
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if best == "application/json" and not request.accept_mimetypes.accept_html:
        return Audience.API
    if request.endpoint and access_for(request.endpoint) is Open.PATIENT:
        return Audience.PATIENT
    return Audience.STAFF


def retry_after_seconds(default: int | None = None) -> int | None:
    """Return how long until the limit this request hit lets it through again, in seconds."""
    from intake.extensions import limiter

    current = limiter.current_limit if limiter.enabled else None
    if current is not None and current.breached:
        return max(1, math.ceil(current.reset_at - time.time()))
    return default


def too_many_requests(retry_after: int | None) -> Response:
    """Answer 429 in the words (or JSON) of the request's audience, with ``Retry-After``.

    Patients are told calmly to wait and that nothing they answered is lost,
    with the clinic's phone; staff how long to wait and that an admin can
    unlock the account; API clients get JSON. Never a name or an email.
    """
    minutes = max(1, math.ceil((retry_after or 60) / 60))
    who = audience()
    if who is Audience.API:
        response = jsonify(
            {
                "error": "too_many_requests",
                "message": ngettext(
                    "Too many attempts. Try again in %(num)d minute.",
                    "Too many attempts. Try again in %(num)d minutes.",
                    minutes,
                ),
                "retry_after": retry_after,
            }
        )
    else:
        response = make_response(
            render_template("errors/429.html", audience=who.value, minutes=minutes)
        )
    response.status_code = HTTPStatus.TOO_MANY_REQUESTS
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


# -- The database is unreachable: one calm answer per audience --------------------


def is_database_unreachable(error: BaseException | None) -> bool:
    """Return whether ``error`` (or what it wraps) says the database cannot be reached.

    That is: the connection was lost (SQLAlchemy marks the error
    ``connection_invalidated``), or no connection could be made at all (the
    pool's connect or pre-ping reconnect failed, so no statement ran). A
    statement the database refused (SQLite reports "no such table" as an
    ``OperationalError`` too) is a bug, not an outage, and stays a 500.
    """
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError) and (
            error.statement is None
        )
    original = getattr(error, "original_exception", None)
    return original is not None and original is not error and is_database_unreachable(original)


# Seconds a client is asked to wait before trying again (a restart's length).
DATABASE_RETRY_AFTER = 30


def database_unreachable(error: BaseException) -> Response:
    """Log that the database is away (the error's class only) and answer 503."""
    # Class name only: a driver's message can hold the database URL.
    current_app.logger.warning("database unreachable (%s): answered 503", type(error).__name__)
    return service_unavailable()


def service_unavailable() -> Response:
    """Answer 503 in the words (or JSON) of the request's audience, with ``Retry-After``.

    Patients read that nothing they saved is lost and the clinic's phone, in
    their language; staff that the database is not answering; API clients
    JSON. The page needs no database (no user, no flashed rows), so it can be
    shown while the database is away.
    """
    who = audience()
    if who is Audience.API:
        response = jsonify(
            {
                "error": "service_unavailable",
                "message": gettext("The service is unavailable for a moment. Try again shortly."),
                "retry_after": DATABASE_RETRY_AFTER,
            }
        )
    else:
        # Rendered without the context processors: Flask-Login's would load
        # the signed-in staff member from the database that is not there.
        template = current_app.jinja_env.get_template("errors/503.html")
        response = make_response(template.render(audience=who.value))
    response.status_code = HTTPStatus.SERVICE_UNAVAILABLE
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response
