"""Admin pages for webhooks: register an endpoint, see its secret once, rotate, disable, remove.

On the admin blueprint (``intake.admin.views`` imports this module), so the
access table's ``admin.*`` covers every route here.
"""

from __future__ import annotations

from http import HTTPStatus

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from intake import held
from intake.admin.views import bp
from intake.extensions import db
from intake.forms import EmptyForm, Form, strip
from intake.held import Held
from intake.models import WebhookDelivery, WebhookEndpoint
from intake.users import current_staff as me
from intake.webhooks import endpoints
from intake.webhooks.addresses import MAX_URL_LENGTH, AddressRefusedError

# As for accounts: ids beyond the database's integer range are 404 at the router.
ENDPOINT_ID = "<int(max=2147483647):endpoint_id>"
RECENT_DELIVERIES = 50


class WebhookForm(Form):
    # A text input with the URL keyboard (the stylesheet styles text inputs).
    url = StringField(
        _l("Address (URL)"),
        description=_l("The integrator's HTTPS address, like https://partner.example/hooks/intake."),
        validators=[
            DataRequired(_l("Enter the address events are sent to, starting with https://.")),
            Length(max=MAX_URL_LENGTH, message=_l("The address is too long.")),
        ],
        filters=[strip],
        render_kw={
            "autocomplete": "off",
            "spellcheck": "false",
            "autocapitalize": "none",
            "inputmode": "url",
        },
    )


def refusal_message(exc: AddressRefusedError) -> str:
    """Why the address was refused, in words the admin can act on."""
    where = {"address": exc.address, "host": exc.host}
    messages = {
        "webhook.too_long": gettext("The address is too long."),
        "webhook.not_a_url": gettext(
            "Enter a full address starting with https://, like https://partner.example/hooks."
        ),
        "webhook.credentials": gettext(
            "Leave the user name and password out of the address: every event is signed "
            "with the secret this page makes instead."
        ),
        "webhook.fragment": gettext("Leave out the part after # (it is never sent)."),
        "webhook.not_https": gettext(
            "The address must start with https://: events are sent only over an encrypted "
            "connection."
        ),
        "webhook.unresolvable": gettext(
            "The name %(host)s could not be found. Check the spelling, or ask the "
            "integrator for the right address.",
            **where,
        ),
        "webhook.loopback": gettext(
            "%(host)s leads back to this server (%(address)s). Events go only to public "
            "addresses on the internet.",
            **where,
        ),
        "webhook.private": gettext(
            "%(host)s leads to a private network address (%(address)s). Events go only to "
            "public addresses on the internet.",
            **where,
        ),
        "webhook.link_local": gettext(
            "%(host)s leads to a link-local address (%(address)s), such as a cloud server's "
            "own settings service. Events go only to public addresses on the internet.",
            **where,
        ),
        "webhook.multicast": gettext(
            "%(host)s leads to a multicast address (%(address)s). Events go only to one "
            "public server.",
            **where,
        ),
        "webhook.unspecified": gettext(
            "%(host)s leads to the unspecified address (%(address)s), which is no server.",
            **where,
        ),
        "webhook.reserved": gettext(
            "%(host)s leads to a reserved address (%(address)s). Events go only to public "
            "addresses on the internet.",
            **where,
        ),
    }
    return str(
        messages.get(
            exc.code,
            gettext(
                "%(host)s leads to an address that is not public (%(address)s). Events go "
                "only to public addresses on the internet.",
                **where,
            ),
        )
    )


def _recent(endpoint_id: int | None = None) -> list[WebhookDelivery]:
    query = sa.select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(RECENT_DELIVERIES)
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(db.session.execute(query).scalars())


def _list_page(form: WebhookForm, status: int = HTTPStatus.OK) -> ResponseReturnValue:
    rows = db.session.execute(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars()
    endpoint_list = list(rows)
    return (
        render_template(
            "admin/webhooks.html",
            form=form,
            endpoint_list=endpoint_list,
            urls={e.id: e.url for e in endpoint_list},
            deliveries=_recent(),
        ),
        status,
    )


@bp.get("/webhooks")
def webhooks() -> ResponseReturnValue:
    """List the endpoints and the latest deliveries; a form to add an endpoint."""
    return _list_page(WebhookForm(formdata=None))


@bp.post("/webhooks")
def add_webhook() -> ResponseReturnValue:
    """Register an endpoint (its address checked); its secret is shown once on the next page."""
    form = WebhookForm()
    if not form.validate():
        return _list_page(form, HTTPStatus.BAD_REQUEST)
    try:
        endpoint, secret = endpoints.create(form.url.data, by=me())
    except AddressRefusedError as exc:
        form.url.errors = [*form.url.errors, refusal_message(exc)]
        return _list_page(form, HTTPStatus.BAD_REQUEST)
    _hold(endpoint.id, secret)
    return redirect(_url("admin.webhook", endpoint.id))


def _url(endpoint_name: str, endpoint_id: int) -> str:
    return url_for(endpoint_name, endpoint_id=endpoint_id)


def _hold(endpoint_id: int, secret: str) -> None:
    # held_secrets.subject_id names a staff account: the admin here, with the
    # endpoint's id kept beside the secret, so it shows on that endpoint's page only.
    viewer = me().id
    held.hold(Held.WEBHOOK_SECRET, f"{endpoint_id}:{secret}", subject_id=viewer, viewer_id=viewer)


def _take(endpoint_id: int) -> str | None:
    viewer = me().id
    value = held.take(Held.WEBHOOK_SECRET, subject_id=viewer, viewer_id=viewer)
    if value is None:
        return None
    held_for, _, secret = value.partition(":")
    return secret if held_for == str(endpoint_id) else None


def _endpoint_or_404(endpoint_id: int, *, lock: bool = False) -> WebhookEndpoint:
    endpoint = (
        endpoints.lock(endpoint_id) if lock else db.session.get(WebhookEndpoint, endpoint_id)
    )
    if endpoint is None:
        raise NotFound
    return endpoint


@bp.get(f"/webhooks/{ENDPOINT_ID}")
def webhook(endpoint_id: int) -> ResponseReturnValue:
    """One endpoint: its state, its secret once after it was made, its deliveries.

    :raise 404: no such endpoint.
    """
    endpoint = _endpoint_or_404(endpoint_id)
    return render_template(
        "admin/webhook.html",
        endpoint=endpoint,
        secret=_take(endpoint.id),
        deliveries=_recent(endpoint.id),
        form=EmptyForm(),
    )


@bp.route(f"/webhooks/{ENDPOINT_ID}/rotate", methods=["GET", "POST"])
def rotate_webhook_secret(endpoint_id: int) -> ResponseReturnValue:
    """Ask to confirm (GET); make a new signing secret, shown once (POST).

    :raise 404: no such endpoint.
    """
    endpoint = _endpoint_or_404(endpoint_id, lock=request.method == "POST")
    form = EmptyForm()
    if request.method != "POST" or not form.validate():
        return render_template("admin/webhook_confirm.html", endpoint=endpoint, action="rotate")
    secret = endpoints.rotate(endpoint, by=me())
    _hold(endpoint.id, secret)
    return redirect(_url("admin.webhook", endpoint.id))


@bp.post(f"/webhooks/{ENDPOINT_ID}/disable")
def disable_webhook(endpoint_id: int) -> ResponseReturnValue:
    """Stop sending to the endpoint; queued deliveries wait.

    :raise 404: no such endpoint.
    """
    endpoint = _endpoint_or_404(endpoint_id, lock=True)
    if EmptyForm().validate() and endpoints.set_active(endpoint, False, by=me()):
        flash(gettext("Disabled: no events are sent to this address until it is enabled."), "info")
    return redirect(_url("admin.webhook", endpoint.id))


@bp.post(f"/webhooks/{ENDPOINT_ID}/enable")
def enable_webhook(endpoint_id: int) -> ResponseReturnValue:
    """Send to the endpoint again, the deliveries that waited first.

    :raise 404: no such endpoint.
    """
    endpoint = _endpoint_or_404(endpoint_id, lock=True)
    if EmptyForm().validate() and endpoints.set_active(endpoint, True, by=me()):
        flash(gettext("Enabled: events are sent to this address again."), "info")
    return redirect(_url("admin.webhook", endpoint.id))


@bp.route(f"/webhooks/{ENDPOINT_ID}/remove", methods=["GET", "POST"])
def remove_webhook(endpoint_id: int) -> ResponseReturnValue:
    """Ask to confirm (GET); delete the endpoint and its deliveries (POST).

    :raise 404: no such endpoint.
    """
    endpoint = _endpoint_or_404(endpoint_id, lock=request.method == "POST")
    form = EmptyForm()
    if request.method != "POST" or not form.validate():
        return render_template("admin/webhook_confirm.html", endpoint=endpoint, action="remove")
    url = endpoint.url
    endpoints.remove(endpoint, by=me())
    flash(gettext("Removed %(url)s: no more events are sent there.", url=url), "info")
    return redirect(url_for("admin.webhooks"))
