"""Admin pages for API tokens: list, create (shown once), revoke.

The routes join the admin blueprint (``admin.*`` in the access table: admins
only). A new token crosses the post/redirect/get the way a temporary password
does (:mod:`intake.held`): sealed for the page after the redirect, shown there
once, to the admin who made it, in that browser.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from intake import clock, held
from intake.admin.forms import NewTokenForm
from intake.admin.views import bp
from intake.api import tokens
from intake.extensions import db
from intake.forms import EmptyForm
from intake.held import Held
from intake.models import ApiToken, User, utcnow
from intake.users import current_staff as me

ROW_ID = "<int(max=2147483647):token_id>"


def _token_or_404(token_id: int) -> ApiToken:
    return db.get_or_404(ApiToken, token_id)


def _last_instant(day: dt.date) -> dt.datetime:
    """The UTC instant the clinic's ``day`` ends: a token works through its last day."""
    return clock.day_bounds(day)[1]


@bp.get("/tokens")
def tokens_list() -> ResponseReturnValue:
    """List every API token, newest first, with its status."""
    rows = tokens.all_tokens()
    ids = {row.created_by_id for row in rows} | {r.revoked_by_id for r in rows if r.revoked_by_id}
    rows_by_id = db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids))).all()
    emails = {row.id: row.email for row in rows_by_id}
    return render_template(
        "admin/tokens.html", tokens=rows, emails=emails, now=utcnow(), last_day=_last_day
    )


def _last_day(row: ApiToken) -> dt.date:
    """The last clinic day a token works (its expiry is the end of that day)."""
    return clock.local(row.expires_at - dt.timedelta(microseconds=1)).date()


@bp.route("/tokens/new", methods=["GET", "POST"])
def new_token() -> ResponseReturnValue:
    """Create a token; it is shown once, on the page after the redirect."""
    today = clock.clinic_today()
    form = NewTokenForm()
    if request.method == "GET":
        form.expires_on.data = today + dt.timedelta(days=tokens.DEFAULT_DAYS)
    if form.validate_on_submit():
        try:
            row, secret = tokens.create(
                form.name.data or "",
                form.scopes.data or [],
                form.expires_on.data,
                today=today,
                expires_at=_last_instant(form.expires_on.data),
                by=me().id,
            )
        except tokens.TokenInputError as exc:
            _field_error(form, exc, today)
        else:
            held.hold(Held.API_TOKEN, secret, subject_id=me().id, viewer_id=me().id)
            return redirect(url_for("admin.token_created", token_id=row.id))
    return render_template(
        "admin/token_new.html",
        form=form,
        latest=tokens.latest_expiry(today),
        tomorrow=today + dt.timedelta(days=1),
    )


def _field_error(form: NewTokenForm, exc: tokens.TokenInputError, today: dt.date) -> None:
    messages = {
        "name.required": gettext("Enter a name for the token."),
        "name.too_long": gettext("Use at most 100 characters."),
        "scopes.required": gettext("Choose at least one thing the token may do."),
        "expires.past": gettext("Choose a day after today."),
        "expires.too_late": gettext(
            "Choose a day no later than %(day)s (a year from today); make a new token then.",
            day=clock.short_date(tokens.latest_expiry(today)),
        ),
    }
    field = {"name": form.name, "scopes": form.scopes, "expires_on": form.expires_on}[
        exc.field or "name"
    ]
    field.errors = [*field.errors, messages[exc.code]]


@bp.get(f"/tokens/{ROW_ID}/created")
def token_created(token_id: int) -> ResponseReturnValue:
    """Show a new token once, to the admin who made it, in that browser.

    A reload finds it gone and says what to do instead.

    :raise 404: no such token.
    """
    row = _token_or_404(token_id)
    # Only a GET takes it: a HEAD (a prefetch, a link checker) leaves it for the page.
    secret = (
        held.take(Held.API_TOKEN, subject_id=me().id, viewer_id=me().id)
        if request.method == "GET"
        else None
    )
    # Held per admin, not per token: a token made meanwhile in another tab of
    # the same browser is never shown on this token's page.
    if secret is not None and tokens.hash_token(secret) != row.token_hash:
        secret = None
    return render_template("admin/token_created.html", token=row, secret=secret)


@bp.route(f"/tokens/{ROW_ID}/revoke", methods=["GET", "POST"])
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Ask to confirm (GET); revoke the token, which stops working at once (POST).

    :raise 404: no such token.
    """
    row = _token_or_404(token_id)
    form = EmptyForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("admin/token_revoke.html", token=row, form=form)
    try:
        tokens.revoke(row.id, by=me().id)
    except tokens.AlreadyRevokedError:
        flash(gettext("The token “%(name)s” was already revoked.", name=row.name), "info")
    else:
        flash(
            gettext("The token “%(name)s” is revoked: it no longer works.", name=row.name), "info"
        )
    return redirect(url_for("admin.tokens_list"))
