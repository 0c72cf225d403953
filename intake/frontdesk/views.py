"""Front desk pages: the day, search, booking, intake links and the printed acknowledgment."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from intake import audit
from intake.appointments import AppointmentInputError, book
from intake.auth.forms import EmptyForm
from intake.auth.views import me
from intake.extensions import db
from intake.frontdesk import clock, pdf, services
from intake.frontdesk.forms import BookingForm
from intake.links import LinkState, intake_url, issue_link
from intake.models import Appointment, IntakeStatus

bp = Blueprint("frontdesk", __name__, url_prefix="/frontdesk")


def status_labels() -> dict[str, str]:
    return {
        IntakeStatus.NOT_STARTED.value: gettext("Not started"),
        IntakeStatus.IN_PROGRESS.value: gettext("In progress"),
        IntakeStatus.READY.value: gettext("Ready"),
        IntakeStatus.NEEDS_REVIEW.value: gettext("Waiting for a clinician"),
        IntakeStatus.CLEARED.value: gettext("Cleared"),
        IntakeStatus.CLEARED_WITH_PRECAUTIONS.value: gettext("Cleared with precautions"),
        IntakeStatus.DEFERRED.value: gettext("Deferred"),
        IntakeStatus.NOT_SUITABLE.value: gettext("Not suitable"),
    }


def link_labels() -> dict[str | None, str]:
    return {
        LinkState.VALID.value: gettext("Link active"),
        LinkState.LOCKED.value: gettext("Link locked (wrong dates of birth)"),
        LinkState.REVOKED.value: gettext("Link replaced"),
        LinkState.EXPIRED.value: gettext("Link expired"),
        None: gettext("No link"),
    }


@bp.context_processor
def helpers() -> dict[str, object]:
    return {
        **clock.template_helpers(),
        "status_labels": status_labels(),
        "link_labels": link_labels(),
    }


@bp.get("/")
def day() -> ResponseReturnValue:
    """List one day's appointments in time order (today in the clinic unless ``date`` is given)."""
    today = clock.clinic_today()
    raw = request.args.get("date", "").strip()
    chosen = services.parse_query_date(raw) if raw else today
    problem = None
    if chosen is None:
        problem = gettext("Enter the date like 2026-12-01. Showing today instead.")
        chosen = today
    return render_template(
        "frontdesk/day.html",
        chosen=chosen,
        raw_date=raw if problem else chosen.isoformat(),
        problem=problem,
        today=today,
        previous=chosen - dt.timedelta(days=1),
        following=chosen + dt.timedelta(days=1),
        rows=services.day(chosen),
        query="",
    )


@bp.get("/search")
def search() -> ResponseReturnValue:
    """Find appointments by a patient's name or date of birth."""
    query = request.args.get("q", "").strip()[:200]
    rows = services.search(query) if query else []
    return render_template(
        "frontdesk/search.html",
        query=query,
        rows=rows,
        limit=services.SEARCH_LIMIT,
        today=clock.clinic_today(),
    )


def _field_messages() -> dict[tuple[str, str], str]:
    """The form's wording for each shared check, by field and a word of the check's message.

    The checks are the command line's; their messages are written for a
    terminal, these for the booking form. An empty word matches any message.
    """
    return {
        ("first_name", ""): gettext("Enter the patient's first name."),
        ("last_name", "at most"): gettext("Names can be at most 100 characters long."),
        ("last_name", ""): gettext("Enter the patient's last name."),
        ("dob", "in the past"): gettext("The date of birth must be before today."),
        ("dob", "1900"): gettext("The date of birth must be after 1900."),
        ("dob", ""): gettext("Enter the date of birth as a date, like 1990-04-12."),
        ("at", "in the past"): gettext(
            "That time has already passed. Choose a time later than now."
        ),
        ("at", ""): gettext("Enter the appointment date and time."),
        ("email", ""): gettext(
            "Enter a valid email address, like name@example.com, or leave it empty."
        ),
        ("phone", ""): gettext(
            "Enter a phone number with digits (at most 40 characters), or leave it empty."
        ),
    }


def _field_message(exc: AppointmentInputError) -> str:
    text = str(exc)
    for (field, word), message in _field_messages().items():
        if field == exc.field and word in text:
            return message
    return text


@bp.route("/appointments/new", methods=["GET", "POST"])
def new_appointment() -> ResponseReturnValue:
    """Book an appointment and show its intake link once, with a QR code."""
    form = BookingForm()
    if request.method == "GET":
        return render_template("frontdesk/book.html", form=form)
    if not form.validate():  # only the CSRF token can fail here
        return render_template("frontdesk/book.html", form=form), HTTPStatus.BAD_REQUEST
    values = {name: form[name].data or "" for name in services.BOOKING_FIELDS}
    booking, errors = services.check_booking(values)
    duplicate = None
    if booking is not None:
        duplicate = services.duplicate_of(booking)
        if duplicate is not None:
            form.at.errors = [gettext("This patient already has an appointment at this time.")]
    for field, exc in errors.items():
        form[field].errors = [_field_message(exc)]
    if booking is None or duplicate is not None:
        return (
            render_template("frontdesk/book.html", form=form, duplicate=duplicate),
            HTTPStatus.UNPROCESSABLE_ENTITY,
        )
    appointment, link, token = book(booking, created_by_id=me().id)
    audit.record(
        audit.Action.APPOINTMENT_BOOKED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=me().id,
        target=("appointment", appointment.id),
    )
    audit.record(
        audit.Action.LINK_ISSUED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=me().id,
        target=("appointment", appointment.id),
        link=link.id,
    )
    db.session.commit()
    return _link_page(appointment, token, booked=True), HTTPStatus.CREATED


def _link_page(appointment: Appointment, token: str, *, booked: bool) -> str:
    url = intake_url(token)
    return render_template(
        "frontdesk/link.html",
        appointment=appointment,
        url=url,
        qr=services.qr_data_uri(url),
        booked=booked,
    )


def _appointment_or_404(appointment_id: int) -> Appointment:
    appointment = services.appointment_or_none(appointment_id)
    if appointment is None:
        abort(HTTPStatus.NOT_FOUND)
    return appointment


@bp.get("/appointments/<int:appointment_id>")
def appointment(appointment_id: int) -> ResponseReturnValue:
    """Show one appointment: who, when, the intake's status, its link and the acknowledgment.

    :raise 404: no such appointment.
    """
    record = _appointment_or_404(appointment_id)
    return _appointment_page(record)


def _appointment_page(
    record: Appointment, problem: str | None = None, status: int = HTTPStatus.OK
) -> ResponseReturnValue:
    link = services.latest_link(record)
    return (
        render_template(
            "frontdesk/appointment.html",
            row=services.row_for(record),
            appointment=record,
            link=link,
            can_issue=services.link_usable(record),
            form=EmptyForm(),
            problem=problem,
        ),
        status,
    )


@bp.post("/appointments/<int:appointment_id>/link")
def issue(appointment_id: int) -> ResponseReturnValue:
    """Issue a new intake link: the old one stops working at once and the lock is reset.

    :raise 404: no such appointment.
    """
    record = _appointment_or_404(appointment_id)
    form = EmptyForm()
    if not form.validate():
        abort(HTTPStatus.BAD_REQUEST)
    if not services.link_usable(record):
        return _appointment_page(
            record,
            gettext(
                "This appointment has passed, so a new link would not work. "
                "Book a new appointment instead."
            ),
            HTTPStatus.CONFLICT,
        )
    reissue = bool(record.links)
    link, token = issue_link(record, issued_by_id=me().id)
    audit.record(
        audit.Action.LINK_REISSUED if reissue else audit.Action.LINK_ISSUED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=me().id,
        target=("appointment", record.id),
        link=link.id,
    )
    db.session.commit()
    return _link_page(record, token, booked=False)


def _signed_or_404(appointment_id: int) -> services.SignedAcknowledgment:
    signed = services.signed_acknowledgment(_appointment_or_404(appointment_id))
    if signed is None:
        abort(HTTPStatus.NOT_FOUND)
    return signed


def _record_print(signed: services.SignedAcknowledgment, kind: str) -> None:
    audit.record(
        audit.Action.ACKNOWLEDGMENT_PRINTED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=me().id,
        target=("appointment", signed.appointment.id),
        format=kind,
    )
    db.session.commit()


@bp.get("/appointments/<int:appointment_id>/acknowledgment")
def acknowledgment(appointment_id: int) -> ResponseReturnValue:
    """Show the signed acknowledgment ready to print.

    :raise 404: no such appointment, or not signed yet.
    """
    signed = _signed_or_404(appointment_id)
    _record_print(signed, "page")
    return render_template("frontdesk/acknowledgment.html", signed=signed)


@bp.get("/appointments/<int:appointment_id>/acknowledgment.pdf")
def acknowledgment_pdf(appointment_id: int) -> ResponseReturnValue:
    """Return the signed acknowledgment as a PDF.

    :raise 404: no such appointment, or not signed yet.
    """
    signed = _signed_or_404(appointment_id)
    html = render_template("frontdesk/acknowledgment_pdf.html", signed=signed)
    document = pdf.render(html, title=gettext("Aftercare acknowledgment"))
    _record_print(signed, "pdf")
    # The file name carries the appointment id only: names stay out of
    # download folders' listings and browser histories.
    name = f"acknowledgment-{signed.appointment.id}.pdf"
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
