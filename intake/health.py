"""``GET /healthz``: is this process up, and can it reach its database?"""

from __future__ import annotations

from http import HTTPStatus

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from intake.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        # The exception's class only: its message can hold the database URL.
        current_app.logger.warning("health check: database unreachable (%s)", type(exc).__name__)
        return jsonify(status="error", database="error"), HTTPStatus.SERVICE_UNAVAILABLE
    return jsonify(status="ok", database="ok")
