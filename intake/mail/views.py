"""The "no more reminders" page an email links to: GET asks, POST stops (no sign-in).

Mail scanners open links before patients do, so opening the page changes
nothing; its one button (or a mail app's RFC 8058 one-click POST) stops the
reminders. The signed token in the URL is what authenticates the POST, so
this endpoint alone is exempt from CSRF (a mail app's one-click POST has no
CSRF token); the page's own form still carries one.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from intake import audit, links
from intake.extensions import csrf, db
from intake.mail import outbox
from intake.models import Appointment, utcnow

bp = Blueprint("mail", __name__)


@bp.route("/reminders/stop/<token>", methods=["GET", "POST"])
def stop_reminders(token: str) -> ResponseReturnValue:
    """GET asks whether to stop the reminders and changes nothing; POST stops them.

    The POST is the page's button or a mail app's one-click unsubscribe.

    :raise 404: the token is not one of ours (the page says so calmly).
    """
    appointment_id = outbox.appointment_for_stop_token(token)
    if appointment_id is None or db.session.get(Appointment, appointment_id) is None:
        return render_template("mail/stop.html", state="unknown"), HTTPStatus.NOT_FOUND
    if request.method != "POST":
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment is not None
        state = "stopped" if appointment.reminders_stopped_at else "ask"
        return render_template("mail/stop.html", state=state, token=token)
    appointment = links.lock_appointment(appointment_id)
    if appointment.reminders_stopped_at is None:
        appointment.reminders_stopped_at = utcnow()
        audit.record(
            audit.Action.REMINDERS_STOPPED,
            actor_kind=audit.ActorKind.PATIENT,
            target=("appointment", appointment.id),
        )
    return render_template("mail/stop.html", state="done")


# Authenticated by the signed token, and a mail app's one-click POST has no
# CSRF token: this endpoint only is exempt.
csrf.exempt(stop_reminders)
