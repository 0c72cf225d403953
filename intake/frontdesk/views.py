"""Front desk pages: the day, search, booking, intake links and the printed acknowledgment."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from intake import appointments, clock, links
from intake.forms import EmptyForm
from intake.frontdesk import pdf, services
from intake.frontdesk.forms import (
    BookingForm,
    CancelForm,
    DetailsForm,
    ReissueForm,
    RescheduleForm,
    SendLinkForm,
)
from intake.links import LinkState, intake_url
from intake.mail import outbox
from intake.models import Appointment, IntakeStatus, MailKind, OutboxState, utcnow
from intake.paging import offset_arg
from intake.users import current_staff

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
        LinkState.CANCELLED.value: gettext("Link stopped (appointment cancelled)"),
        None: gettext("No link"),
    }


@bp.context_processor
def helpers() -> dict[str, object]:
    return {
        "status_labels": status_labels(),
        "link_labels": link_labels(),
        "mail_state_labels": mail_state_labels(),
        "mail_reason_labels": mail_reason_labels(),
        "mail_kind_labels": {
            MailKind.LINK.value: gettext("Intake link"),
            MailKind.REMINDER.value: gettext("Reminder"),
        },
        "language_names": outbox.LANGUAGES,
        # A list's "Print acknowledgment for <name>", translated once for
        # every row (Jinja's _() translates and formats on each call).
        "for_name": gettext("for %(name)s"),
    }


@bp.get("/")
def day() -> ResponseReturnValue:
    """List one day's appointments in time order (today in the clinic unless ``date`` is given).

    One screen at a time (:data:`services.PAGE_SIZE`); ``from`` is the screen's
    offset. Without it, today opens on the screen holding the current time.
    """
    now = utcnow()
    today = clock.clinic_today(now)
    raw = request.args.get("date", "").strip()
    chosen = services.parse_query_date(raw) if raw else today
    problem = None
    if chosen is None:
        problem = gettext("Enter the date like 2026-12-01. Showing today instead.")
        chosen = today
    page = services.day(chosen, offset=offset_arg("from"), now=now)
    return render_template(
        "frontdesk/day.html",
        chosen=chosen,
        raw_date=raw if problem else chosen.isoformat(),
        problem=problem,
        today=today,
        previous=chosen - dt.timedelta(days=1),
        following=chosen + dt.timedelta(days=1),
        page=page,
        rows=page.rows,
        # Today's appointments still waiting for a clinician, on any screen: the status only.
        waiting=page.waiting,
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
        # A date of birth typed into the search is not written back on the page.
        by_birth_date=services.parse_query_date(query) is not None,
        rows=rows,
        limit=services.SEARCH_LIMIT,
        today=clock.clinic_today(),
    )


def booking_messages() -> dict[str, str]:
    """The booking form's words for each code of :func:`intake.appointments.parse_booking`."""
    return {
        "first_name.required": gettext("Enter the patient's first name."),
        "first_name.too_long": gettext("Names can be at most 100 characters long."),
        "last_name.required": gettext("Enter the patient's last name."),
        "last_name.too_long": gettext("Names can be at most 100 characters long."),
        "dob.format": gettext("Date of birth must be a real date"),
        "dob.future": gettext("Date of birth must be in the past"),
        "dob.too_recent": gettext("Date of birth must be more than a year ago: check the year"),
        "dob.too_early": gettext("Date of birth must be 1900 or later"),
        "at.format": gettext("Enter the appointment date and time."),
        "at.past": gettext("That time has already passed. Choose a time later than now."),
        "email.invalid": gettext(
            "Enter a valid email address, like name@example.com, or leave it empty."
        ),
        "phone.invalid": gettext(
            "Enter a phone number with digits (at most 40 characters), or leave it empty."
        ),
        "booking.duplicate": gettext("This patient already has an appointment at this time."),
    }


@bp.route("/appointments/new", methods=["GET", "POST"])
def new_appointment() -> ResponseReturnValue:
    """Book an appointment and show its intake link once, with a QR code."""
    form = BookingForm()
    if request.method != "POST":
        return render_template("frontdesk/book.html", form=form)
    if not form.validate() and "csrf_token" in form.errors:
        return render_template("frontdesk/book.html", form=form), HTTPStatus.BAD_REQUEST
    duplicate = None
    # Sending is offered only when email is set up (the page says so otherwise).
    send = bool(form.send_email.data) and outbox.enabled()
    language = form.language.data if form.language.data in outbox.LANGUAGES else "en"
    try:
        values = _typed(form, appointments.FIELDS)
        booking = appointments.parse_booking(values, tz=clock.clinic_tz())
        if send and not booking.email:
            form.email.errors = [
                gettext("Enter the patient's email to send the link, or untick the email box.")
            ]
            raise _NotBookedError
        appointment, link, token = appointments.book(
            booking, by=current_staff().id, language=language
        )
    except _NotBookedError:
        pass
    except appointments.BookingInputError as exc:
        _show_errors(form, exc)
    except appointments.DuplicateBookingError as exc:
        form.at.errors = [booking_messages()[exc.code]]
        duplicate = services.appointment_or_none(exc.existing_id or 0)
    else:
        if send:
            outbox.queue_link(appointment, link, token, by=current_staff().id)
        services.hold_link(appointment.id, token, staff_id=current_staff().id, booked=True)
        return _see_link(appointment.id)
    return (
        render_template("frontdesk/book.html", form=form, duplicate=duplicate),
        HTTPStatus.UNPROCESSABLE_ENTITY,
    )


class _NotBookedError(Exception):
    """A check of the booking page's own (the email box) failed: book nothing."""


def _typed(form: BookingForm | DetailsForm, names: tuple[str, ...]) -> dict[str, str | None]:
    """The form's values for the shared checks: the date of birth as ISO, or empty if unread."""
    values = {name: form[name].data for name in names if name != "dob"}
    values["dob"] = form.dob.data.isoformat() if form.dob.data and not form.dob.errors else ""
    return values


def _show_errors(form: BookingForm | DetailsForm, exc: appointments.BookingInputError) -> None:
    """Put each code's words on its field; the date boxes keep their own, more exact, message."""
    messages = booking_messages()
    for field, code in exc.errors.items():
        if field == "dob":
            if not form.dob.errors:
                form.dob.fail(messages[code], ("year",))
            continue
        form[field].errors = [messages[code]]


def _see_link(appointment_id: int) -> ResponseReturnValue:
    """Post/redirect/get: the new link is shown by the page this redirects to, once."""
    return redirect(
        url_for("frontdesk.new_link", appointment_id=appointment_id), code=HTTPStatus.SEE_OTHER
    )


@bp.get("/appointments/<int:appointment_id>/new-link")
def new_link(appointment_id: int) -> ResponseReturnValue:
    """Show the link just made, once; a reload says it is not kept and offers a new one.

    :raise 404: no such appointment.
    """
    record = _appointment_or_404(appointment_id)
    shown = services.take_held_link(record.id, staff_id=current_staff().id)
    if shown is None:
        return render_template(
            "frontdesk/link_gone.html", appointment=record, can_issue=links.usable(record)
        )
    return _link_page(record, shown.token, booked=shown.booked)


def _link_page(appointment: Appointment, token: str, *, booked: bool) -> str:
    url = intake_url(token)
    link = links.find_link(token)
    send_form = SendLinkForm(
        data={"link": services.seal_link_to_send(appointment.id, link.id, token) if link else ""}
    )
    return render_template(
        "frontdesk/link.html",
        appointment=appointment,
        url=url,
        qr=services.qr_data_uri(url),
        booked=booked,
        send_form=send_form,
        mail_enabled=outbox.enabled(),
        # Emails of this very link (not of one it replaced), newest first.
        emails=[e for e in outbox.latest(appointment.id) if link and e.link_id == link.id],
    )


@bp.post("/appointments/<int:appointment_id>/send-link")
def send_link(appointment_id: int) -> ResponseReturnValue:
    """Email the link just shown to the patient (the "Send by email" button beside it).

    The page's form carries the link sealed for ``SEND_LINK_SECONDS``; a link
    replaced or stopped since is not sent.

    :raise 404: no such appointment.
    """
    record = _appointment_or_404(appointment_id)
    form = SendLinkForm()
    if not form.validate():
        abort(HTTPStatus.BAD_REQUEST)
    if not outbox.enabled():
        return _appointment_page(record, mail_messages()["disabled"], HTTPStatus.CONFLICT)
    if not record.email:
        return _appointment_page(record, mail_messages()["no_address"], HTTPStatus.CONFLICT)
    opened = services.open_link_to_send(record, form.link.data or "")
    if opened is None:
        return _appointment_page(record, mail_messages()["link_gone"], HTTPStatus.CONFLICT)
    link, token = opened
    outbox.queue_link(record, link, token, by=current_staff().id)
    return _back_to(
        record,
        gettext(
            "The intake link was passed to the clinic's mail server for the patient. "
            "Whether it was sent is shown under Emails to the patient."
        ),
    )


def mail_messages() -> dict[str, str]:
    return {
        "disabled": gettext(
            "Email is not set up for this clinic yet, so links cannot be sent from here. "
            "Copy the link or let the patient scan the code instead."
        ),
        "no_address": gettext(
            "There is no email address for this patient. Add one with Change details, "
            "then make a new link to send it."
        ),
        "link_gone": gettext(
            "This link can no longer be emailed: it was replaced or has stopped working, "
            "or the page was open for too long. Make a new link to send one. "
            "Nothing was sent."
        ),
    }


def mail_state_labels() -> dict[str, str]:
    return {
        OutboxState.PENDING.value: gettext("Sending"),
        OutboxState.SENT.value: gettext("Sent"),
        OutboxState.FAILED.value: gettext("Not sent"),
    }


def mail_reason_labels() -> dict[str, str]:
    """Why an email was not sent, for each ``Reason`` (the SMTP code, if any, follows)."""
    reason = outbox.Reason
    return {
        reason.UNREACHABLE.value: gettext("the mail server could not be reached"),
        reason.TIMEOUT.value: gettext("the mail server did not answer in time"),
        reason.REFUSED.value: gettext("the mail server refused the address"),
        reason.REJECTED.value: gettext("the mail server refused the message"),
        reason.AUTH.value: gettext("the mail server refused the clinic's sign-in"),
        reason.DISCONNECTED.value: gettext("the mail server closed the connection"),
        reason.LINK.value: gettext("the link had stopped working"),
        reason.NO_ADDRESS.value: gettext("there was no email address"),
        reason.DISABLED.value: gettext("email is not set up"),
        reason.ERROR.value: gettext("something went wrong while sending"),
    }


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
            can_issue=links.usable(record),
            form=EmptyForm(),
            problem=problem,
            signed=services.is_signed(record),
            emails=outbox.latest(record.id),
            mail_enabled=outbox.enabled(),
        ),
        status,
    )


@bp.route("/appointments/<int:appointment_id>/link", methods=["GET", "POST"])
def issue(appointment_id: int) -> ResponseReturnValue:
    """Confirm, then issue a new intake link: the old one stops working at once.

    Once the patient has started, a reason is asked for; the new link shows
    none of the answers saved before it, and the patient's open sessions end.

    :raise 404: no such appointment.
    """
    record = _appointment_or_404(appointment_id)
    if record.cancelled:
        return _refused(record, "appointment.cancelled")
    form = ReissueForm()
    started = record.intake.status is not IntakeStatus.NOT_STARTED
    if request.method == "POST":
        if not form.validate():
            abort(HTTPStatus.BAD_REQUEST)
        try:
            _link, token = links.issue(
                record.id, by=current_staff().id, reason=form.reason.data or ""
            )
        except links.AppointmentCancelledError as exc:  # cancelled since the check above
            return _refused(record, exc.code)
        except links.AppointmentPassedError:
            return _appointment_page(
                record,
                gettext(
                    "This appointment has passed, so a new link would not work. "
                    "Book a new appointment instead."
                ),
                HTTPStatus.CONFLICT,
            )
        except links.ReasonRequiredError:
            form.reason.errors = [
                gettext("Say why a new link is needed: the patient has already started.")
            ]
            return (
                render_template(
                    "frontdesk/reissue.html", appointment=record, form=form, started=started
                ),
                HTTPStatus.UNPROCESSABLE_ENTITY,
            )
        services.hold_link(record.id, token, staff_id=current_staff().id, booked=False)
        return _see_link(record.id)
    return render_template("frontdesk/reissue.html", appointment=record, form=form, started=started)


# -- Changing an appointment -----------------------------------------------------


def change_messages() -> dict[str, str]:
    """Why a change was refused, for each code the appointment services raise."""
    return {
        "appointment.cancelled": gettext(
            "This appointment has been cancelled, so it can no longer be changed. "
            "Nothing was changed."
        ),
        "appointment.signed": gettext(
            "The patient has signed the aftercare acknowledgment, so their details can no "
            "longer be changed: the printed acknowledgment must show who signed it. If a "
            "detail is wrong, cancel this appointment and book a new one."
        ),
    }


def _refused(record: Appointment, code: str) -> ResponseReturnValue:
    """A change refused because the appointment moved on (a stale page): say why, change nothing."""
    return _appointment_page(record, change_messages()[code], HTTPStatus.CONFLICT)


def _back_to(record: Appointment, message: str) -> ResponseReturnValue:
    """Post/redirect/get: say what was done once, on the appointment page."""
    flash(message, "success")
    return redirect(
        url_for("frontdesk.appointment", appointment_id=record.id), code=HTTPStatus.SEE_OTHER
    )


@bp.route("/appointments/<int:appointment_id>/edit", methods=["GET", "POST"])
def edit(appointment_id: int) -> ResponseReturnValue:
    """Change the patient's name, date of birth, email or phone, until the acknowledgment is signed.

    :raise 404: no such appointment.
    """
    record = _appointment_or_404(appointment_id)
    if record.cancelled or services.is_signed(record):
        code = "appointment.cancelled" if record.cancelled else "appointment.signed"
        return _refused(record, code)
    if request.method != "POST":
        form = DetailsForm(
            data={
                "first_name": record.first_name,
                "last_name": record.last_name,
                "email": record.email or "",
                "phone": record.phone or "",
                "language": record.language,
            }
        )
        return render_template("frontdesk/edit.html", appointment=record, form=form)
    form = DetailsForm()
    if not form.validate() and "csrf_token" in form.errors:
        abort(HTTPStatus.BAD_REQUEST)
    values = _typed(form, appointments.DETAIL_FIELDS)
    if form.dob.reading is None or form.dob.reading.problem == "required":
        # Empty boxes keep the date of birth as it is.
        values["dob"] = record.date_of_birth.isoformat()
    try:
        details = appointments.parse_details(values, tz=clock.clinic_tz())
        changed = appointments.edit_details(record.id, details, by=current_staff().id)
        # A form without the field (an older page) keeps the language as it is.
        language = form.language.data if "language" in request.form else record.language
        if outbox.set_language(record.id, language or "", by=current_staff().id):
            changed = [*changed, "language"]
    except appointments.BookingInputError as exc:
        _show_errors(form, exc)
    except appointments.DuplicateBookingError as exc:
        form.first_name.errors = [booking_messages()[exc.code]]
    except (links.AppointmentCancelledError, appointments.SignedError) as exc:
        return _refused(record, exc.code)
    else:
        done = gettext("The patient's details were saved.")
        return _back_to(record, done if changed else gettext("Nothing was changed."))
    return (
        render_template("frontdesk/edit.html", appointment=record, form=form),
        HTTPStatus.UNPROCESSABLE_ENTITY,
    )


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
def reschedule(appointment_id: int) -> ResponseReturnValue:
    """Move the appointment; its intake link follows, and lives until the new time.

    :raise 404: no such appointment.
    """
    record = _appointment_or_404(appointment_id)
    if record.cancelled:
        return _refused(record, "appointment.cancelled")
    if request.method != "POST":
        form = RescheduleForm(
            data={"at": clock.local(record.starts_at).strftime(appointments.TIME_FORMAT)}
        )
        return render_template("frontdesk/reschedule.html", appointment=record, form=form)
    form = RescheduleForm()
    if not form.validate():
        abort(HTTPStatus.BAD_REQUEST)
    try:
        starts_at = appointments.parse_start(form.at.data or "", tz=clock.clinic_tz())
        moved = appointments.reschedule(record.id, starts_at, by=current_staff().id)
    except appointments.BookingInputError as exc:
        form.at.errors = [booking_messages()[exc.errors["at"]]]
    except appointments.DuplicateBookingError as exc:
        form.at.errors = [booking_messages()[exc.code]]
    except links.AppointmentCancelledError as exc:
        return _refused(record, exc.code)
    else:
        if not moved:
            return _back_to(record, gettext("Nothing was changed: that is the same time."))
        return _back_to(
            record,
            gettext(
                "The appointment was moved to %(when)s. The patient's link still works "
                "and now lasts until the new time.",
                when=clock.when(starts_at),
            ),
        )
    return (
        render_template("frontdesk/reschedule.html", appointment=record, form=form),
        HTTPStatus.UNPROCESSABLE_ENTITY,
    )


@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
def cancel(appointment_id: int) -> ResponseReturnValue:
    """Confirm, then cancel the appointment: the link stops working; the intake is kept.

    :raise 404: no such appointment.
    """
    record = _appointment_or_404(appointment_id)
    form = CancelForm()
    if request.method == "POST":
        if not form.validate():
            abort(HTTPStatus.BAD_REQUEST)
        try:
            appointments.cancel(record.id, reason=form.reason.data or "", by=current_staff().id)
        except links.AppointmentCancelledError:
            return _appointment_page(
                record,
                gettext("This appointment was already cancelled. Nothing was changed."),
                HTTPStatus.CONFLICT,
            )
        return _back_to(
            record,
            gettext(
                "The appointment was cancelled. The patient's link has stopped working; "
                "anything they entered is kept."
            ),
        )
    if record.cancelled:
        return _appointment_page(
            record, gettext("This appointment was already cancelled. Nothing was changed.")
        )
    return render_template("frontdesk/cancel.html", appointment=record, form=form)


def _signed_or_404(appointment_id: int) -> services.SignedAcknowledgment:
    signed = services.signed_acknowledgment(_appointment_or_404(appointment_id))
    if signed is None:
        abort(HTTPStatus.NOT_FOUND)
    return signed


@bp.get("/appointments/<int:appointment_id>/acknowledgment")
def acknowledgment(appointment_id: int) -> ResponseReturnValue:
    """Show the signed acknowledgment ready to print.

    :raise 404: no such appointment, or not signed yet.
    """
    signed = _signed_or_404(appointment_id)
    services.record_print(signed, current_staff().id, "page")
    return render_template("frontdesk/acknowledgment.html", signed=signed)


@bp.get("/appointments/<int:appointment_id>/acknowledgment.pdf")
def acknowledgment_pdf(appointment_id: int) -> ResponseReturnValue:
    """Return the signed acknowledgment as a PDF.

    :raise 404: no such appointment, or not signed yet.
    """
    signed = _signed_or_404(appointment_id)
    html = render_template("frontdesk/acknowledgment_pdf.html", signed=signed)
    document = pdf.render(html, title=gettext("Aftercare acknowledgment"))
    services.record_print(signed, current_staff().id, "pdf")
    # The file name carries the appointment id only: names stay out of
    # download folders' listings and browser histories.
    name = f"acknowledgment-{signed.appointment.id}.pdf"
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
