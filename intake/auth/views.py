"""Staff sign-in (password, then an authenticator code when enrolled), sign-out, own account."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

import pyotp
import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from intake import audit, held
from intake.auth import devices, guard, sessions, throttle, totp
from intake.auth.forms import (
    EmptyForm,
    EnrolForm,
    LoginForm,
    PasswordChangeForm,
    PasswordConfirmForm,
    SignInCodeForm,
)
from intake.extensions import db
from intake.held import Held
from intake.models import Role, User, utcnow
from intake.passwords import (
    WeakPasswordError,
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from intake.users import current_staff as me
from intake.users import find_by_email, role_labels

bp = Blueprint("auth", __name__)

# How long a correct password waits for its authenticator code.
PENDING_SECONDS = 5 * 60

HOME_BY_ROLE = {
    Role.ADMIN: ("admin.users", "review.queue", "frontdesk.day"),
    Role.CLINICIAN: ("review.queue",),
    Role.FRONT_DESK: ("frontdesk.day",),
}


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site, else None."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\\"):
        return None
    return target


def home_url(user: User) -> str:
    for endpoint in HOME_BY_ROLE[user.role]:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("auth.account")


def _failed_message() -> str:
    return str(gettext("That email and password do not match an active staff account."))


@bp.get("/staff/")
def home() -> ResponseReturnValue:
    """Send a signed-in staff member to their role's first page."""
    return redirect(home_url(current_user))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Check email and password; the same answer, in about the same time, for any failure."""
    next_url = safe_next(request.args.get("next"))
    form = LoginForm()
    if request.method != "POST":
        if current_user.is_authenticated:
            return redirect(next_url or home_url(current_user))
        return render_template("auth/login.html", form=form, next_url=next_url)
    # Form and JSON bodies alike: the form reads either, and the limits key on
    # what it read, the account and the client address.
    email = throttle.normalised(form.email.data) if isinstance(form.email.data, str) else ""
    refusal = throttle.refused(email, by_address=True)
    if refusal is not None:
        return refusal
    if not form.validate():
        throttle.failed(email, by_address=True)
        return render_template("auth/login.html", form=form, next_url=next_url), 200

    return _check_password(form, email, next_url)


def _check_password(form: LoginForm, email: str, next_url: str | None) -> ResponseReturnValue:
    user = find_by_email(email)
    usable = user is not None and user.active
    # Unknown and deactivated accounts are checked against a dummy hash, so
    # the answer takes as long as for a real account with a wrong password.
    ok = verify_password(user.password_hash if usable and user else None, form.password.data)
    if not ok or user is None:
        throttle.failed(email, by_address=True)
        audit.record(
            audit.Action.SIGN_IN_FAILED,
            actor_kind=audit.ActorKind.ANONYMOUS,
            target=("user", user.id) if user is not None else None,
            factor="password",
        )
        form.password.data = ""
        return render_template(
            "auth/login.html", form=form, next_url=next_url, failed=_failed_message()
        )

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(form.password.data)
    if user.totp_secret:
        return _begin_second_step(user, next_url)
    return _complete_sign_in(user, next_url, factor="password")


def _begin_second_step(user: User, next_url: str | None) -> ResponseReturnValue:
    # The pending sign-in lives in the signed session: it names one account
    # (the one whose password was right) and expires after PENDING_SECONDS.
    session.clear()
    session[sessions.PENDING_2FA] = {
        "uid": user.id,
        "ver": user.session_version,
        "at": sessions.now(),
        "next": next_url,
    }
    return redirect(url_for("auth.login_code"))


def _pending_user() -> tuple[User, str | None] | None:
    pending = session.get(sessions.PENDING_2FA)
    if not isinstance(pending, dict):
        return None
    at, uid = pending.get("at"), pending.get("uid")
    if not isinstance(at, int) or not isinstance(uid, int):
        return None
    if sessions.now() - at > PENDING_SECONDS:
        return None
    user = db.session.get(User, uid)
    if (
        user is None
        or not user.active
        or user.session_version != pending.get("ver")
        or not user.totp_secret
    ):
        return None
    return user, safe_next(pending.get("next"))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> ResponseReturnValue:
    """Second step: a code from the enrolled authenticator, or a recovery code."""
    pending = _pending_user()
    if pending is None:
        session.pop(sessions.PENDING_2FA, None)
        flash(gettext("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    user, next_url = pending
    form = SignInCodeForm()
    if request.method != "POST":
        return render_template("auth/code.html", form=form)
    # Keyed on the pending sign-in's account, whatever the form says.
    refusal = throttle.refused(user.email, by_address=False)
    if refusal is not None:
        return refusal
    code = form.code.data if form.validate() else None
    factor = _second_factor(user, code)
    if factor is None:
        throttle.failed(user.email, by_address=False)
        audit.record(
            audit.Action.SIGN_IN_FAILED,
            actor_kind=audit.ActorKind.ANONYMOUS,
            target=("user", user.id),
            factor="totp",
        )
        form.code.data = ""
        return render_template(
            "auth/code.html",
            form=form,
            failed=gettext("That code did not work. Enter the code your app shows now."),
        )
    return _complete_sign_in(user, next_url, factor=factor)


def _second_factor(user: User, code: str | None) -> str | None:
    """Check and use up ``code``; return the factor it was ("totp", "recovery_code") or None."""
    if not code or user.totp_secret is None:
        return None
    if totp.looks_like_recovery_code(code):
        if not totp.use_recovery_code(user.id, code):
            return None
        audit.record(
            audit.Action.RECOVERY_CODE_USED,
            actor_kind=audit.ActorKind.STAFF,
            actor_id=user.id,
            target=("user", user.id),
            remaining=totp.remaining_recovery_codes(user.id),
        )
        return "recovery_code"
    secret = totp.decrypt(user.totp_secret)
    step = totp.matching_step(secret, code)
    # Each time step once per account, decided by one conditional UPDATE.
    if step is None or not totp.claim_step(user.id, step):
        return None
    if totp.is_clear(user.totp_secret):
        user.totp_secret = totp.encrypt(secret)  # stored before encryption: encrypt now
    return "totp"


def _complete_sign_in(user: User, next_url: str | None, *, factor: str) -> ResponseReturnValue:
    # A new session from nothing: whatever the cookie held before sign-in is gone.
    session.clear()
    login_user(user)
    sessions.start()
    devices.start(user.id)
    user.last_sign_in_at = utcnow()
    audit.record(
        audit.Action.SIGN_IN,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=user.id,
        target=("user", user.id),
        factor=factor,
    )
    return redirect(next_url or home_url(user))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out everywhere: every cookie this account was given stops working."""
    form = EmptyForm()
    if form.validate():
        user = me()
        user.session_version += 1
        devices.end_all(user.id)
        audit.record(
            audit.Action.SIGN_OUT,
            actor_kind=audit.ActorKind.STAFF,
            actor_id=user.id,
            target=("user", user.id),
        )
    logout_user()
    session.clear()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/account")
def account() -> ResponseReturnValue:
    """Show the signed-in person's account, its security settings and signed-in devices."""
    user: User = me()
    this_device = devices.current(user.id)
    return render_template(
        "auth/account.html",
        remove_form=PasswordConfirmForm(),
        codes_form=PasswordConfirmForm(),
        end_form=EmptyForm(),
        totp_required=guard.totp_compulsory(user),
        recovery_left=totp.remaining_recovery_codes(user.id),
        devices=devices.open_sessions(user.id),
        this_device_id=this_device.id if this_device is not None else None,
    )


@bp.post("/account/sessions/end-others")
def end_other_sessions() -> ResponseReturnValue:
    """Sign out every other browser of this account, on the server."""
    user: User = me()
    form = EmptyForm()
    if form.validate():
        this_device = devices.current(user.id)
        ended = devices.end_all(user.id, keep=this_device.id if this_device else None)
        audit.record(
            audit.Action.SESSIONS_ENDED,
            actor_kind=audit.ActorKind.STAFF,
            actor_id=user.id,
            target=("user", user.id),
            count=ended,
        )
        flash(gettext("Your other devices are signed out."), "info")
    return redirect(url_for("auth.account"))


def _restart_session(user: User) -> None:
    """Keep this browser signed in after ``session_version`` moved on; other cookies die."""
    signed_in_at = session.get(sessions.SIGNED_IN_AT)
    this_device = devices.current(user.id)
    device_token = session.get(sessions.DEVICE)
    session.clear()
    login_user(user)
    sessions.start()
    devices.end_all(user.id, keep=this_device.id if this_device else None)
    if this_device is not None:
        session[sessions.DEVICE] = device_token
    # The 12-hour limit still counts from the original sign-in.
    if isinstance(signed_in_at, int):
        session[sessions.SIGNED_IN_AT] = signed_in_at


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    """Change one's own password (compulsory after an admin's reset)."""
    user: User = me()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append(gettext("That is not your current password."))
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append(
                gettext("The new password must be different from the current one.")
            )
        else:
            try:
                check_policy(form.new_password.data, user.email)
            except WeakPasswordError as exc:
                form.new_password.errors.append(_policy_message(exc))
            else:
                user.password_hash = hash_password(form.new_password.data)
                user.must_change_password = False
                user.session_version += 1
                audit.record(
                    audit.Action.PASSWORD_CHANGED,
                    actor_kind=audit.ActorKind.STAFF,
                    actor_id=user.id,
                    target=("user", user.id),
                )
                _restart_session(user)
                flash(gettext("Your password is changed. Other devices are signed out."), "info")
                return redirect(home_url(user))
    return render_template("auth/password.html", form=form)


def _policy_message(exc: WeakPasswordError) -> str:
    text = str(exc)
    return gettext("The new %(problem)s.", problem=text) if text.startswith("password") else text


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor() -> ResponseReturnValue:
    """Enrol an authenticator app: scan the QR code, confirm with a code and the password."""
    user: User = me()
    if user.totp_secret:
        if request.method == "GET":  # not for a HEAD (a prefetch): no one would read it
            flash(gettext("An authenticator app is already set up for your account."), "info")
        return redirect(url_for("auth.account"))
    form = EnrolForm()
    nonce = session.get(sessions.ENROLLING_SECRET)
    if not isinstance(nonce, str) or request.method != "POST":
        nonce = secrets.token_hex(16)
        session[sessions.ENROLLING_SECRET] = nonce
    secret = _enrolment_secret(user, nonce)
    failed = None
    if request.method == "POST" and form.validate():
        step = totp.matching_step(secret, form.code.data)
        if not verify_password(user.password_hash, form.password.data):
            form.password.errors.append(gettext("That is not your password."))
        elif step is None:
            failed = gettext("That code did not match. Enter the code your app shows now.")
            form.code.data = ""
        else:
            user.totp_secret = totp.encrypt(secret)
            user.totp_last_step = step
            audit.record(
                audit.Action.TOTP_ENROLLED,
                actor_kind=audit.ActorKind.STAFF,
                actor_id=user.id,
                target=("user", user.id),
            )
            _hold_new_recovery_codes(user)
            session.pop(sessions.ENROLLING_SECRET, None)
            flash(
                gettext("Your authenticator app is set up. Sign-in will ask for its code."),
                "info",
            )
            return redirect(url_for("auth.recovery_codes"))
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["INTAKE_CLINIC_NAME"]
    )
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return render_template(
        "auth/two_factor.html",
        form=form,
        qr=qr,
        # In fours to read and type, each group kept whole on a narrow screen;
        # the plain key is in a read-only field, to select or copy.
        secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
        secret=secret,
        failed=failed,
        compulsory=guard.needs_compulsory_totp(user),
    )


def _hold_new_recovery_codes(user: User) -> None:
    """Make new recovery codes, audited, held for the page the POST redirects to."""
    codes = totp.new_recovery_codes(user.id)
    audit.record(
        audit.Action.RECOVERY_CODES_GENERATED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=user.id,
        target=("user", user.id),
        count=len(codes),
    )
    held.hold(Held.RECOVERY_CODES, "\n".join(codes), subject_id=user.id, viewer_id=user.id)


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
def recovery_codes() -> ResponseReturnValue:
    """POST: replace the recovery codes with ten new ones (asks for the password).

    GET: show codes just made, once (post/redirect/get); a reload finds them gone.
    """
    user: User = me()
    if request.method != "POST":
        # Taken by a GET only: a HEAD (a prefetch) would use up the one showing.
        codes = (
            held.take(Held.RECOVERY_CODES, subject_id=user.id, viewer_id=user.id)
            if request.method == "GET"
            else None
        )
        return render_template(
            "auth/recovery_codes.html", codes=codes.split("\n") if codes else None
        )
    form = PasswordConfirmForm()
    if not user.totp_secret:
        return redirect(url_for("auth.account"))
    if not form.validate() or not verify_password(user.password_hash, form.password.data):
        flash(gettext("That is not your password; your recovery codes are unchanged."), "error")
        return redirect(url_for("auth.account"))
    _hold_new_recovery_codes(user)
    return redirect(url_for("auth.recovery_codes"))


def _enrolment_secret(user: User, nonce: str) -> str:
    """Derive the secret being enrolled from a nonce kept in the session.

    The session cookie is signed, not encrypted, so it carries only the nonce:
    the secret itself cannot be read from the cookie without ``SECRET_KEY``.
    """
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"totp-enrol:{user.id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


@bp.post("/account/two-factor/remove")
def two_factor_remove() -> ResponseReturnValue:
    """Remove one's authenticator (not allowed where it is compulsory)."""
    user: User = me()
    form = PasswordConfirmForm()
    if guard.totp_compulsory(user):
        flash(gettext("Your role must keep an authenticator app at this clinic."), "error")
    elif not user.totp_secret:
        pass
    elif not form.validate() or not verify_password(user.password_hash, form.password.data):
        flash(gettext("That is not your password; the authenticator is still set up."), "error")
    else:
        user.totp_secret = None
        user.totp_last_step = None
        totp.remove_recovery_codes(user.id)
        audit.record(
            audit.Action.TOTP_REMOVED,
            actor_kind=audit.ActorKind.STAFF,
            actor_id=user.id,
            target=("user", user.id),
        )
        flash(gettext("The authenticator app is removed from your account."), "info")
    return redirect(url_for("auth.account"))


@bp.app_context_processor
def staff_globals() -> dict[str, object]:
    return {"role_labels": role_labels()}
