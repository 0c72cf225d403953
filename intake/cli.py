"""The command line (CONTRACT section 5), run as ``flask --app wsgi ...``.

Every bad input exits with status 2 and one line on stderr that names the problem.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from typing import IO, Any
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from intake import appointments, audit, audit_cli, intakes
from intake.admin import services as admin_services
from intake.auth import throttle
from intake.extensions import db
from intake.links import AppointmentCancelledError, intake_url
from intake.mail import outbox
from intake.models import Appointment, Intake, OutboxMessage, OutboxState, Role, User, utcnow
from intake.passwords import WeakPasswordError
from intake.screening import (
    AFTERCARE_CODES,
    QUESTIONS,
    RULESETS,
    STEPS,
    RuleSet,
    ScreeningInputError,
    UnknownRuleSetError,
    ruleset,
)
from intake.unit_of_work import after_commit, transactional
from intake.users import UserInputError, create_user, find_by_email
from intake.wording import aftercare_shown, hash_of


class InputError(click.ClickException):
    """Bad input: one line on stderr and exit status 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


_RULESET_HELP = "A published rule set version (default: the one in force): " + ", ".join(RULESETS)


def _ruleset(version: str | None) -> RuleSet:
    try:
        return ruleset(version)
    except UnknownRuleSetError as exc:
        raise InputError(str(exc)) from None


@click.command("questions")
@with_appcontext
@click.option("--ruleset", "version", help=_RULESET_HELP)
def questions_command(version: str | None) -> None:
    """Print the rule set's questionnaire as JSON."""
    _print_json(_ruleset(version).questionnaire())


@click.command("screen")
@with_appcontext
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--ruleset", "version", help=_RULESET_HELP)
def screen_command(file: IO[str], version: str | None) -> None:
    """Screen a JSON object of answers keyed by question id (FILE or - for stdin)."""
    rs = _ruleset(version)
    try:
        answers = json.load(file)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc}") from None
    except UnicodeDecodeError:
        raise InputError("input is not UTF-8 text") from None
    try:
        flags = rs.screen(answers)
    except ScreeningInputError as exc:
        raise InputError(str(exc)) from None
    _print_json({"ruleset": rs.version, "flags": [f.to_dict() for f in flags]})


users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, help="admin, clinician or front_desk")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@transactional
def create_user_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account; the password is prompted for, or read from stdin."""
    try:
        role_value = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InputError(f"role {role!r} is not one of {choices}") from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, role_value, password)
    except (UserInputError, WeakPasswordError) as exc:
        raise InputError(str(exc)) from None
    click.echo(f"created {role_value.value} account {user.email} (id {user.id})")


def _account(email: str) -> User:
    user = find_by_email(email)
    if user is None:
        raise InputError(f"no staff account with email {email.strip()}")
    return user


@users_cli.command("list")
def list_users_command() -> None:
    """List staff accounts: email, role, state, second factor, last sign-in."""
    tz = current_app.config["INTAKE_TZ"]
    for user in admin_services.accounts():
        last = (
            f"{user.last_sign_in_at.astimezone(tz):%Y-%m-%d %H:%M}"
            if user.last_sign_in_at
            else "never signed in"
        )
        click.echo(
            f"{user.email:<32} {user.role.value:<11} "
            f"{'active' if user.active else 'deactivated':<11} "
            f"{'authenticator' if user.totp_secret else 'password only':<13} {last}"
        )


@users_cli.command("reset-password")
@click.argument("email")
@transactional
def reset_password_command(email: str) -> None:
    """Give the account a temporary password (shown once), to change at next sign-in.

    For an admin locked out of every admin account. It also removes the
    account's authenticator and ends its sessions, as the admin page does.
    """
    user = _account(email)
    password = admin_services.reset_password(user, by=None)
    throttle.clear_account(user.email)
    click.echo(f"temporary password for {user.email} (shown once): {password}")
    click.echo("it must be changed at the next sign-in; the authenticator was removed")


@users_cli.command("unlock")
@click.argument("email")
@transactional
def unlock_command(email: str) -> None:
    """Clear the account's failed sign-ins, so it may try again at once."""
    user = _account(email)
    throttle.clear_account(user.email)
    audit.record(
        audit.Action.SIGN_IN_UNLOCKED, actor_kind=audit.ActorKind.SYSTEM, target=("user", user.id)
    )
    click.echo(f"failed sign-ins cleared for {user.email}")
    if not current_app.config.get("REDIS_URL"):
        click.echo(
            "note: without REDIS_URL each server process keeps its own counts; "
            "restart the server to clear them there"
        )


@users_cli.command("deactivate")
@click.argument("email")
@transactional
def deactivate_command(email: str) -> None:
    """Stop the account signing in and end its sessions (kept, for the audit log)."""
    user = _account(email)
    if not user.active:
        click.echo(f"{user.email} is already deactivated")
        return
    try:
        admin_services.deactivate(user, by=None)
    except admin_services.LastAdminError:
        message = f"{user.email} is the last active admin; make another admin first"
        raise InputError(message) from None
    click.echo(f"deactivated {user.email}")


appointments_cli = AppGroup("appointments", help="Book, change and cancel appointments.")


@appointments_cli.command("add")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--dob", required=True, help="Date of birth, YYYY-MM-DD.")
@click.option("--at", "at", required=True, help="Local clinic time, YYYY-MM-DDTHH:MM.")
@click.option("--email")
@click.option("--phone")
@click.option(
    "--language",
    type=click.Choice(["en", "es"]),
    default="en",
    show_default=True,
    help="The language of the patient's emails.",
)
@click.option("--send", is_flag=True, help="Email the intake link to --email after booking.")
@transactional
def add_appointment_command(
    first_name: str,
    last_name: str,
    dob: str,
    at: str,
    email: str | None,
    phone: str | None,
    language: str,
    send: bool,
) -> None:
    """Book an appointment and print the patient's intake link (with --send, email it too)."""
    if send and not outbox.enabled():
        raise InputError("--send: email is off; set INTAKE_SMTP_HOST (see the README)")
    if send and not (email or "").strip():
        raise InputError("--send needs --email")
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "dob": dob,
        "at": at,
        "email": email,
        "phone": phone,
    }
    try:
        booking = appointments.parse_booking(values, tz=current_app.config["INTAKE_TZ"])
        appointment, link, token = appointments.book(booking, language=language)
    except appointments.BookingInputError as exc:
        field, code = next(iter(exc.errors.items()))
        raise InputError(BOOKING_MESSAGES[code].format(value=values[field])) from None
    except appointments.DuplicateBookingError as exc:
        raise InputError(
            f"this patient already has an appointment at this time (appointment {exc.existing_id})"
        ) from None
    if send:
        message = outbox.queue_link(appointment, link, token, by=None)
        message_id = message.id
        # After the commit (the outbox row's), the send; its outcome on stderr.
        after_commit(lambda: _say_sent(message_id))
    _print_json({"appointment_id": appointment.id, "intake_url": intake_url(token)})


def _say_sent(message_id: int) -> None:
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    db.session.rollback()
    if row is None:
        return
    if row.state is OutboxState.SENT:
        click.echo("email: sent", err=True)
    else:
        click.echo(f"email: not sent ({row.last_error}); the booking stands", err=True)


def _appointment(appointment_id: str) -> Appointment:
    # Read here rather than by click's int type, whose refusal is a usage
    # screen: a bad id is one line like every other bad input.
    text = appointment_id.strip()
    number = int(text) if text.isascii() and text.isdigit() else 0
    appointment = db.session.get(Appointment, number) if 0 < number < 2**31 else None
    if appointment is None:
        raise InputError(f"no appointment with id {appointment_id!r}")
    return appointment


def _appointment_json(appointment: Appointment) -> dict[str, object]:
    tz = current_app.config["INTAKE_TZ"]
    return {
        "appointment_id": appointment.id,
        "at": appointment.starts_at.astimezone(tz).strftime(appointments.TIME_FORMAT),
        "cancelled": appointment.cancelled,
    }


@appointments_cli.command("update")
@click.argument("appointment_id")
@click.option("--first-name")
@click.option("--last-name")
@click.option("--dob", help="Date of birth, YYYY-MM-DD.")
@click.option("--at", "at", help="New local clinic time, YYYY-MM-DDTHH:MM.")
@click.option("--email", help='New email; "" removes it.')
@click.option("--phone", help='New phone; "" removes it.')
@transactional
def update_appointment_command(
    appointment_id: str,
    first_name: str | None,
    last_name: str | None,
    dob: str | None,
    at: str | None,
    email: str | None,
    phone: str | None,
) -> None:
    """Change an appointment's patient details or time; print it as JSON.

    Only the options given change. Details cannot change once the patient has
    signed the acknowledgment; a new time keeps the patient's link working
    until then.
    """
    appointment = _appointment(appointment_id)
    tz = current_app.config["INTAKE_TZ"]
    given = {"first_name": first_name, "last_name": last_name, "dob": dob}
    given |= {"email": email, "phone": phone}
    if at is None and all(value is None for value in given.values()):
        raise InputError("nothing to change: give at least one option (see --help)")
    values: dict[str, str | None] = {
        "first_name": appointment.first_name,
        "last_name": appointment.last_name,
        "dob": appointment.date_of_birth.isoformat(),
        "email": appointment.email,
        "phone": appointment.phone,
    } | {name: value for name, value in given.items() if value is not None}
    try:
        changed: list[str] = []
        if any(value is not None for value in given.values()):
            details = appointments.parse_details(values, tz=tz)
            changed = appointments.edit_details(appointment.id, details)
        if at is not None:
            starts_at = appointments.parse_start(at, tz=tz)
            if appointments.reschedule(appointment.id, starts_at):
                changed.append("at")
    except appointments.BookingInputError as exc:
        field, code = next(iter(exc.errors.items()))
        typed = (values | {"at": at})[field]
        raise InputError(BOOKING_MESSAGES[code].format(value=typed)) from None
    except appointments.DuplicateBookingError as exc:
        raise InputError(
            f"this patient already has an appointment at this time (appointment {exc.existing_id})"
        ) from None
    except appointments.SignedError:
        raise InputError(
            "the patient has signed the acknowledgment, so their details cannot change "
            "(cancel and book again if they are wrong)"
        ) from None
    except AppointmentCancelledError:
        message = f"appointment {appointment.id} is cancelled; it cannot be changed"
        raise InputError(message) from None
    _print_json(_appointment_json(appointment) | {"changed": changed})


@appointments_cli.command("cancel")
@click.argument("appointment_id")
@click.option("--reason", default="", help="Why (kept for staff; never shown to the patient).")
@transactional
def cancel_appointment_command(appointment_id: str, reason: str) -> None:
    """Cancel an appointment: its intake link stops working; the intake is kept."""
    appointment = _appointment(appointment_id)
    try:
        appointments.cancel(appointment.id, reason=reason)
    except AppointmentCancelledError:
        raise InputError(f"appointment {appointment.id} is already cancelled") from None
    _print_json(_appointment_json(appointment))


# The command line's words for each code of appointments.parse_booking.
BOOKING_MESSAGES = {
    "first_name.required": "first name is required",
    "first_name.too_long": "names must be at most 100 characters",
    "last_name.required": "last name is required",
    "last_name.too_long": "names must be at most 100 characters",
    "dob.format": "date of birth {value!r} is not a date in the form YYYY-MM-DD",
    "dob.future": "date of birth must be in the past",
    "dob.too_recent": "date of birth must be more than a year ago",
    "dob.too_early": "date of birth must be after 1900",
    "at.format": "appointment time {value!r} is not in the form YYYY-MM-DDTHH:MM",
    "at.past": "appointment time is in the past",
    "email.invalid": "email {value!r} is not valid: enter an address like name@example.com",
    "phone.invalid": "phone {value!r} is not a phone number",
}


def _demo_start(index: int, tz: ZoneInfo) -> dt.datetime:
    """Two slots later today (or early tomorrow, late at night), two tomorrow."""
    now = utcnow().astimezone(tz).replace(tzinfo=None)
    if index < 2:
        soon = now + dt.timedelta(hours=2 + index)
        return soon.replace(minute=0 if soon.minute < 30 else 30, second=0, microsecond=0)
    tomorrow = (now + dt.timedelta(days=1)).date()
    return dt.datetime.combine(tomorrow, dt.time(9 + 2 * (index - 2), 30))


DEMO_PEOPLE = (
    ("Ana", "Lopez", "1990-04-12"),
    ("Sam", "Taylor", "1985-11-03"),
    ("Priya", "Shah", "1978-06-21"),
    ("Jordan", "Reed", "2001-01-30"),
)


@click.command("demo")
@with_appcontext
@transactional
def demo_command() -> None:
    """Create demo staff accounts (one per role) and demo appointments, for development."""
    if current_app.config["INTAKE_ENV"] == "production":
        raise InputError("demo data is for development only (INTAKE_ENV=production)")
    password = "demo-" + secrets.token_urlsafe(12)
    click.echo("Demo staff accounts (development only; the password is shown this once):")
    for role in Role:
        email = f"{role.value.replace('_', '')}@demo.clinic"
        try:
            create_user(email, role, password)
        except UserInputError:
            click.echo(f"  {email:<24} already exists (password unchanged)")
            continue
        click.echo(f"  {email:<24} {role.value:<12} password: {password}")
    tz = current_app.config["INTAKE_TZ"]
    warn_if_links_open_only_here(current_app)
    click.echo("Demo appointments and their intake links:")
    for index, (first, last, dob) in enumerate(DEMO_PEOPLE):
        start = _demo_start(index, tz)
        upcoming = _upcoming_demo_appointment(first, last, dob)
        if upcoming is not None:
            # Run again, the demo adds nothing: the links were shown the first
            # time (only their hashes are kept); the front desk makes new ones.
            click.echo(
                f"  {first} {last}: already booked at "
                f"{upcoming.starts_at.astimezone(tz):%Y-%m-%d %H:%M} (appointment "
                f"{upcoming.id}); make a new link from its front desk page"
            )
            continue
        booking = appointments.parse_booking(
            {
                "first_name": first,
                "last_name": last,
                "dob": dob,
                "at": start.strftime(appointments.TIME_FORMAT),
            },
            tz=tz,
        )
        try:
            appointment, _link, token = appointments.book(booking)
        except appointments.DuplicateBookingError:
            click.echo(f"  {first} {last} at {start:%Y-%m-%d %H:%M}: already booked")
            continue
        note = ""
        if index == 1:
            _submit_demo_intake(appointment.intake, f"{first} {last}")
            note = " (already answered: waiting in the clinician's review queue)"
        click.echo(
            f"  {first} {last} (date of birth {dob}) at {start:%Y-%m-%d %H:%M}: "
            f"{intake_url(token)}{note}"
        )


def _upcoming_demo_appointment(first: str, last: str, dob: str) -> Appointment | None:
    """Return this demo person's appointment that has not passed yet, if any."""
    return db.session.scalars(
        sa.select(Appointment)
        .where(
            Appointment.first_name_key == first.casefold(),
            Appointment.last_name_key == last.casefold(),
            Appointment.date_of_birth == dt.date.fromisoformat(dob),
            Appointment.starts_at >= utcnow(),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    ).first()


def _submit_demo_intake(intake: Intake, name: str) -> None:
    """Answer and sign one demo intake, through the patient's own services."""
    intakes.start(intake.id)
    answers = {q.id: "no" for q in QUESTIONS} | {
        "active_acne": "yes",
        "active_acne_details": "two spots on the chin",
        "blood_thinners": "yes",
        "blood_thinners_details": "aspirin 75 mg daily",
    }
    for step in STEPS:
        intakes.save_step(intake.id, step.id, answers)
    shown = aftercare_shown()
    intakes.submit(
        intake.id, items=AFTERCARE_CODES, text_hash=hash_of(shown), signature_name=name, shown=shown
    )


def warn_if_links_open_only_here(app: Any) -> None:
    """Say so on stderr when intake links start with the default, local address."""
    if app.config["INTAKE_BASE_URL_IS_DEFAULT"]:
        click.echo(
            f"Note: INTAKE_BASE_URL is not set, so intake links start with "
            f"{app.config['INTAKE_BASE_URL']} and open only on this machine. "
            "Set it to the address patients' phones can reach (for example "
            "https://intake.your-clinic.example) before sending links.",
            err=True,
        )


def register(app: Any) -> None:
    # `flask run` loads the app inside its own command: say where links lead.
    running = click.get_current_context(silent=True)
    if running is not None and running.info_name == "run":
        # Werkzeug's own lines are kept out of the log (request paths hold link
        # tokens), so the address is said here.
        host, port = running.params.get("host"), running.params.get("port")
        click.echo(f"intake: staff sign in at http://{host}:{port}/login", err=True)
        warn_if_links_open_only_here(app)
    for command in (questions_command, screen_command, demo_command):
        app.cli.add_command(command)
    for group in (users_cli, appointments_cli):
        app.cli.add_command(group)
    app.cli.add_command(audit_cli.audit_group)
    from intake.mail.reminders import reminders_cli

    app.cli.add_command(reminders_cli)
    from intake.mail.retry import mail_cli

    app.cli.add_command(mail_cli)
    from intake.auth.totp_cli import totp_group

    app.cli.add_command(totp_group)
    from intake.webhooks.cli import webhooks_group

    app.cli.add_command(webhooks_group)
