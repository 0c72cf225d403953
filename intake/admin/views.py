"""Admin pages: staff accounts (create, role, deactivate, reset) and the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms.fields.choices import SelectChoice

from intake import audit, clock, held
from intake.admin import services
from intake.admin.forms import AuditFilterForm, NewUserForm, RoleForm
from intake.extensions import db
from intake.forms import EmptyForm
from intake.held import Held
from intake.models import AuditEvent, Role, User
from intake.users import UserInputError, role_labels
from intake.users import current_staff as me

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE_SIZE = 50
MAX_PAGE = 100_000
# Ids above the database's integer range never exist: they are 404 at the
# router, instead of an out-of-range error (a 500) from PostgreSQL.
USER_ID = "<int(max=2147483647):user_id>"


@bp.context_processor
def helpers() -> dict[str, object]:
    return {"action_label": action_label}


def _last_admin_message() -> str:
    return str(
        gettext(
            "This is the last active admin account. Make another person an admin first, "
            "so the clinic is never left without one."
        )
    )


@bp.get("/users")
def users() -> ResponseReturnValue:
    """List every staff account, active ones first."""
    rows = (
        db.session.execute(sa.select(User).order_by(User.active.desc(), User.email)).scalars().all()
    )
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> ResponseReturnValue:
    """Create an account; its temporary password is shown once, here."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user, password = services.create_account(form.email.data, Role(form.role.data), by=me())
        except UserInputError as exc:
            form.email.errors.append(_email_problem(exc, form.email.data))
        else:
            return _show_once(user, password, created=True)
    return render_template("admin/new_user.html", form=form)


def _show_once(user: User, password: str, *, created: bool) -> ResponseReturnValue:
    """Hold the temporary password for the page after the redirect (post/redirect/get)."""
    held.hold(Held.TEMPORARY_PASSWORD, password, subject_id=user.id, viewer_id=me().id)
    page = url_for("admin.temporary_password", user_id=user.id)
    return redirect(f"{page}?new=1" if created else page)


@bp.get(f"/users/{USER_ID}/temporary-password")
def temporary_password(user_id: int) -> ResponseReturnValue:
    """Show a new temporary password once, to the admin who made it, in that browser.

    A reload (or any later visit) finds it gone and says how to make another.

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    # Only a GET takes it: a HEAD (a prefetch, a link checker) leaves it for the page.
    password = (
        held.take(Held.TEMPORARY_PASSWORD, subject_id=account.id, viewer_id=me().id)
        if request.method == "GET"
        else None
    )
    return render_template(
        "admin/temporary_password.html",
        user=account,
        password=password,
        created=request.args.get("new") == "1",
    )


def _email_problem(exc: UserInputError, email: str) -> str:
    if exc.code == "email.duplicate":
        return str(gettext("There is already a staff account with this email address."))
    return str(gettext("Enter a valid email address, like name@clinic.example."))


def _staff_emails() -> dict[int, str]:
    rows = db.session.execute(sa.select(User.id, User.email)).all()
    return {row.id: row.email for row in rows}


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.get(f"/users/{USER_ID}")
def user(user_id: int) -> ResponseReturnValue:
    """Show one account with its role, status and the actions on it.

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    role_form = RoleForm(role=account.role.value)
    return _user_page(account, role_form)


def _user_page(
    account: User, role_form: RoleForm, status: int = HTTPStatus.OK
) -> ResponseReturnValue:
    recent = (
        db.session.execute(
            sa.select(AuditEvent)
            .where(
                sa.or_(
                    AuditEvent.actor_id == account.id,
                    sa.and_(AuditEvent.target_type == "user", AuditEvent.target_id == account.id),
                )
            )
            .order_by(AuditEvent.id.desc())
            .limit(10)
        )
        .scalars()
        .all()
    )
    emails = _staff_emails()
    return (
        render_template(
            "admin/user.html",
            account=account,
            role_form=role_form,
            action_form=EmptyForm(),
            recent=recent,
            action_labels=action_labels(),
            actors={e.id: actor_name(e, emails) for e in recent},
            refs=services.record_refs(recent, me().role),
            emails=emails,
        ),
        status,
    )


@bp.post(f"/users/{USER_ID}/role")
def change_role(user_id: int) -> ResponseReturnValue:
    """Change the account's role; its sessions end.

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate():
        return _user_page(account, form, HTTPStatus.BAD_REQUEST)
    try:
        changed = services.change_role(account, Role(form.role.data), by=me())
    except services.LastAdminError:
        form.role.errors.append(_last_admin_message())
        return _user_page(account, form, HTTPStatus.CONFLICT)
    if changed:
        flash(
            gettext(
                "%(email)s is now %(role)s. They are signed out everywhere.",
                email=account.email,
                role=role_name(account.role),
            ),
            "info",
        )
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route(f"/users/{USER_ID}/deactivate", methods=["GET", "POST"])
def deactivate(user_id: int) -> ResponseReturnValue:
    """Ask to confirm (GET); stop the account signing in and end its sessions (POST).

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    form = EmptyForm()
    if request.method != "POST" or not form.validate():
        return render_template("admin/confirm.html", account=account, action="deactivate")
    try:
        services.deactivate(account, by=me())
    except services.LastAdminError:
        flash(_last_admin_message(), "error")
        return redirect(url_for("admin.user", user_id=account.id))
    flash(
        gettext("%(email)s is deactivated and signed out everywhere.", email=account.email),
        "info",
    )
    return redirect(url_for("admin.user", user_id=account.id))


@bp.post(f"/users/{USER_ID}/reactivate")
def reactivate(user_id: int) -> ResponseReturnValue:
    """Let a deactivated account sign in again.

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    if EmptyForm().validate():
        services.reactivate(account, by=me())
        flash(gettext("%(email)s can sign in again.", email=account.email), "info")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route(f"/users/{USER_ID}/reset-password", methods=["GET", "POST"])
def reset_password(user_id: int) -> ResponseReturnValue:
    """Ask to confirm (GET); give the account a temporary password, shown once (POST).

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    form = EmptyForm()
    if request.method != "POST" or not form.validate():
        return render_template("admin/confirm.html", account=account, action="reset_password")
    password = services.reset_password(account, by=me())
    return _show_once(account, password, created=False)


# -- Audit log ---------------------------------------------------------------------


def action_labels() -> dict[str, str]:
    """A short staff-readable name for each audit tag (see :func:`action_label`)."""
    a = audit.Action
    return {
        a.SIGN_IN: gettext("Signed in"),
        a.SIGN_IN_FAILED: gettext("Sign-in failed"),
        a.SIGN_IN_THROTTLED: gettext("Sign-in refused: too many failures"),
        a.SIGN_IN_UNLOCKED: gettext("Sign-in unlocked by an admin"),
        a.SIGN_OUT: gettext("Signed out"),
        a.SESSION_EXPIRED: gettext("Session expired"),
        a.SESSIONS_ENDED: gettext("Other sessions signed out"),
        a.TOTP_ENROLLED: gettext("Authenticator set up"),
        a.TOTP_REMOVED: gettext("Authenticator removed"),
        a.TOTP_KEYS_ROTATED: gettext("Authenticator keys rotated"),
        a.RECOVERY_CODE_USED: gettext("Recovery code used to sign in"),
        a.RECOVERY_CODES_GENERATED: gettext("New recovery codes made"),
        a.PASSWORD_CHANGED: gettext("Password changed"),
        a.USER_CREATED: gettext("Account created"),
        a.USER_ROLE_CHANGED: gettext("Role changed"),
        a.USER_DEACTIVATED: gettext("Account deactivated"),
        a.USER_REACTIVATED: gettext("Account reactivated"),
        a.USER_PASSWORD_RESET: gettext("Password reset by admin"),
        a.INTAKE_VIEWED: gettext("Intake viewed"),
        a.DECISION_RECORDED: gettext("Decision recorded"),
        a.APPOINTMENT_BOOKED: gettext("Appointment booked"),
        a.APPOINTMENT_UPDATED: gettext("Appointment details changed"),
        a.APPOINTMENT_RESCHEDULED: gettext("Appointment moved"),
        a.APPOINTMENT_CANCELLED: gettext("Appointment cancelled"),
        a.LINK_ISSUED: gettext("Intake link issued"),
        a.LINK_REISSUED: gettext("Intake link reissued"),
        a.ACKNOWLEDGMENT_PRINTED: gettext("Acknowledgment printed"),
        a.API_INTAKE_READ: gettext("Intake read through the API"),
        a.API_TOKEN_CREATED: gettext("API token created"),
        a.API_TOKEN_REVOKED: gettext("API token revoked"),
        a.API_TOKEN_USED: gettext("API token used"),
        a.WEBHOOK_CREATED: gettext("Webhook address added"),
        a.WEBHOOK_SECRET_ROTATED: gettext("Webhook signing secret replaced"),
        a.WEBHOOK_DISABLED: gettext("Webhook address disabled"),
        a.WEBHOOK_ENABLED: gettext("Webhook address enabled"),
        a.WEBHOOK_REMOVED: gettext("Webhook address removed"),
        a.WEBHOOK_GAVE_UP: gettext("Webhook delivery given up"),
        a.MAIL_SENT: gettext("Email sent to the patient"),
        a.MAIL_FAILED: gettext("Email to the patient failed"),
        a.REMINDERS_STOPPED: gettext("Patient stopped reminders"),
        a.LINK_OPENED: gettext("Patient opened the link"),
        a.IDENTITY_CONFIRMED: gettext("Patient confirmed date of birth"),
        a.IDENTITY_FAILED: gettext("Patient gave a wrong date of birth"),
        a.LINK_LOCKED: gettext("Link locked"),
        a.STEP_SAVED: gettext("Patient saved a step"),
        a.INTAKE_SUBMITTED: gettext("Intake submitted"),
        a.ACKNOWLEDGMENT_VIEWED: gettext("Patient viewed the acknowledgment"),
        a.AUDIT_SCHEME_CHANGED: gettext("Audit log switched to keyed hashes"),
        a.AUDIT_EXPORTED: gettext("Audit log exported (CSV)"),
    }


def action_label(tag: str, labels: dict[str, str] | None = None) -> str:
    """Return the words for an audit tag; a tag without any reads as words too.

    ``appointment.cancelled`` becomes "Appointment cancelled": a tag added
    later never shows raw, and its own label can follow.
    """
    known = (labels if labels is not None else action_labels()).get(tag)
    if known:
        return known
    words = tag.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def actor_name(event: AuditEvent, emails: dict[int, str]) -> str:
    """Who acted, in words: a staff email, or what kind of actor it was."""
    if event.actor_id:
        return emails.get(event.actor_id, f"#{event.actor_id}")
    kinds = {
        audit.ActorKind.PATIENT.value: gettext("the patient (through the link)"),
        audit.ActorKind.SYSTEM.value: gettext("the system (command line)"),
        audit.ActorKind.ANONYMOUS.value: gettext("not signed in"),
        audit.ActorKind.API_TOKEN.value: gettext("an API token"),
    }
    return str(kinds.get(event.actor_kind, event.actor_kind))


def role_name(role: Role) -> str:
    return str(role_labels()[role.value])


def _local_midnight_utc(day: dt.date) -> dt.datetime:
    tz = current_app.config["INTAKE_TZ"]
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def _audit_filter() -> tuple[AuditFilterForm, services.AuditFilter | None]:
    """Read the audit log's filters from the query string; None when they are not valid."""
    labels = action_labels()
    staff = db.session.execute(sa.select(User.id, User.email).order_by(User.email)).all()
    form = AuditFilterForm(request.args)
    form.actor.choices = [SelectChoice("", gettext("Anyone"))] + [
        SelectChoice(str(i), e) for i, e in staff
    ]
    form.action.choices = [SelectChoice("", gettext("Any action"))] + [
        SelectChoice(tag.value, action_label(tag.value, labels)) for tag in audit.Action
    ]
    if not form.validate():
        return form, None
    if form.date_from.data and form.date_to.data and form.date_from.data > form.date_to.data:
        form.date_to.errors.append(gettext("The end date is before the start date."))
        return form, None
    # Optional() lets a blank-looking value ("\r") through unchecked.
    actor = (form.actor.data or "").strip()
    return form, services.AuditFilter(
        actor_id=int(actor) if actor else None,
        action=form.action.data or None,
        start=_local_midnight_utc(form.date_from.data) if form.date_from.data else None,
        end=(
            _local_midnight_utc(form.date_to.data + dt.timedelta(days=1))
            if form.date_to.data
            else None
        ),
    )


@bp.get("/audit", endpoint="audit")
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first, filtered by person, action and clinic-local dates."""
    form, audit_filter = _audit_filter()
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    query = audit_filter.where(query) if audit_filter else query.where(sa.false())
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    pagination = db.paginate(
        query, page=page, per_page=AUDIT_PAGE_SIZE, error_out=False, count=True
    )
    emails = _staff_emails()
    events: Sequence[AuditEvent] = pagination.items
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        pagination=pagination,
        emails=emails,
        labels=action_labels(),
        actors={e.id: actor_name(e, emails) for e in events},
        refs=services.record_refs(events, me().role),
        filters=filters,
        can_export=audit_filter is not None,
    )


CSV_COLUMNS = (
    "event_id",
    "occurred_at_utc",
    "occurred_at_clinic",
    "actor",
    "actor_kind",
    "actor_id",
    "action",
    "action_label",
    "target_type",
    "target_id",
    "detail",
)


@bp.get("/audit.csv")
def audit_export() -> ResponseReturnValue:
    """Download the audit log under the current filter as CSV, streamed; the export is audited.

    :raise 400: the filter is not valid (the page shows why).
    """
    _form, audit_filter = _audit_filter()
    if audit_filter is None:
        # The page says what is wrong with the filter.
        return redirect(f"{url_for('admin.audit')}?{urlencode(request.args.to_dict())}")
    head = services.export_head(audit_filter, by=me())
    emails = _staff_emails()
    labels = action_labels()

    def columns(event: AuditEvent) -> list[object]:
        return [
            event.id,
            event.occurred_at.astimezone(dt.UTC).isoformat(),
            clock.when(event.occurred_at, "stamp"),
            actor_name(event, emails),
            event.actor_kind,
            event.actor_id,
            event.action,
            action_label(event.action, labels),
            event.target_type,
            event.target_id,
            json.dumps(event.detail or {}, sort_keys=True, ensure_ascii=False),
        ]

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # A byte-order mark: spreadsheets then read the file as UTF-8.
        writer.writerow(CSV_COLUMNS)
        yield "\ufeff" + _take(buffer)
        for row in services.export_rows(audit_filter, head, columns):
            writer.writerow(row)
            yield _take(buffer)

    # The name is made here, from the clock only: nothing typed reaches the header.
    stamp = clock.local(dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="intake-audit-{stamp}.csv"'},
    )


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text

# Webhook pages: routes on this blueprint, in their own module.
from intake.admin import webhooks as _webhooks  # noqa: E402, F401
