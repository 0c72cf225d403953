"""Admin pages: staff accounts (create, role, deactivate, reset) and the audit log."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms.fields.choices import SelectChoice

from intake import audit, held
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
            held.hold(Held.TEMPORARY_PASSWORD, password, subject_id=user.id, viewer_id=me().id)
            return redirect(url_for("admin.temporary_password", user_id=user.id, new=1))
    return render_template("admin/new_user.html", form=form)


@bp.get(f"/users/{USER_ID}/temporary-password")
def temporary_password(user_id: int) -> ResponseReturnValue:
    """Show a new temporary password once, after the POST that made it redirected here.

    A reload (or any later visit) finds it gone and says how to make another.

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    password = held.take(Held.TEMPORARY_PASSWORD, subject_id=account.id, viewer_id=me().id)
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
    return (
        render_template(
            "admin/user.html",
            account=account,
            role_form=role_form,
            action_form=EmptyForm(),
            recent=recent,
            action_labels=action_labels(),
            emails=_staff_emails(),
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


@bp.post(f"/users/{USER_ID}/deactivate")
def deactivate(user_id: int) -> ResponseReturnValue:
    """Stop the account signing in and end its sessions at once.

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    if not EmptyForm().validate():
        return redirect(url_for("admin.user", user_id=account.id))
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


@bp.post(f"/users/{USER_ID}/reset-password")
def reset_password(user_id: int) -> ResponseReturnValue:
    """Give the account a temporary password, shown once; they choose a new one at sign-in.

    :raise 404: no such account.
    """
    account = _user_or_404(user_id)
    if not EmptyForm().validate():
        return redirect(url_for("admin.user", user_id=account.id))
    password = services.reset_password(account, by=me())
    held.hold(Held.TEMPORARY_PASSWORD, password, subject_id=account.id, viewer_id=me().id)
    return redirect(url_for("admin.temporary_password", user_id=account.id))


# -- Audit log ---------------------------------------------------------------------


def action_labels() -> dict[str, str]:
    """A short staff-readable name for each audit tag (the tag itself is the fallback)."""
    a = audit.Action
    return {
        a.SIGN_IN: gettext("Signed in"),
        a.SIGN_IN_FAILED: gettext("Sign-in failed"),
        a.SIGN_IN_THROTTLED: gettext("Sign-in refused: too many failures"),
        a.SIGN_OUT: gettext("Signed out"),
        a.SESSION_EXPIRED: gettext("Session expired"),
        a.TOTP_ENROLLED: gettext("Authenticator set up"),
        a.TOTP_REMOVED: gettext("Authenticator removed"),
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
        a.LINK_OPENED: gettext("Patient opened the link"),
        a.IDENTITY_CONFIRMED: gettext("Patient confirmed date of birth"),
        a.IDENTITY_FAILED: gettext("Patient gave a wrong date of birth"),
        a.LINK_LOCKED: gettext("Link locked"),
        a.STEP_SAVED: gettext("Patient saved a step"),
        a.INTAKE_SUBMITTED: gettext("Intake submitted"),
        a.ACKNOWLEDGMENT_VIEWED: gettext("Patient viewed the acknowledgment"),
    }


def role_name(role: Role) -> str:
    return str(role_labels()[role.value])


def _local_midnight_utc(day: dt.date) -> dt.datetime:
    tz = current_app.config["INTAKE_TZ"]
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


@bp.get("/audit", endpoint="audit")
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first, filtered by person, action and clinic-local dates."""
    labels = action_labels()
    staff = db.session.execute(sa.select(User.id, User.email).order_by(User.email)).all()
    form = AuditFilterForm(request.args)
    form.actor.choices = [SelectChoice("", gettext("Anyone"))] + [
        SelectChoice(str(i), e) for i, e in staff
    ]
    form.action.choices = [SelectChoice("", gettext("Any action"))] + [
        SelectChoice(tag.value, labels.get(tag, tag.value)) for tag in audit.Action
    ]
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    valid = form.validate()
    if valid:
        # Optional() lets a blank-looking value ("\r") through unchecked.
        actor = (form.actor.data or "").strip()
        if actor:
            query = query.where(AuditEvent.actor_id == int(actor))
        if form.action.data:
            query = query.where(AuditEvent.action == form.action.data)
        if form.date_from.data:
            query = query.where(AuditEvent.occurred_at >= _local_midnight_utc(form.date_from.data))
        if form.date_to.data:
            end = form.date_to.data + dt.timedelta(days=1)
            query = query.where(AuditEvent.occurred_at < _local_midnight_utc(end))
        if form.date_from.data and form.date_to.data and form.date_from.data > form.date_to.data:
            form.date_to.errors.append(gettext("The end date is before the start date."))
            valid = False
    if not valid:
        query = query.where(sa.false())
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    pagination = db.paginate(
        query, page=page, per_page=AUDIT_PAGE_SIZE, error_out=False, count=True
    )
    emails = _staff_emails()
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        pagination=pagination,
        emails=emails,
        labels=labels,
        filters=filters,
    )
