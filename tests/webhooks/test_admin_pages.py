"""The admin's webhook pages: who may use them, registering, the secret shown once, refusals."""

from __future__ import annotations

import html
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import audit
from intake.extensions import db
from intake.models import AuditEvent, Role, WebhookDelivery, WebhookEndpoint
from intake.webhooks import endpoints
from tests.conftest import count, make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")

PUBLIC = "https://93.184.216.34/hooks/intake"


@pytest.fixture
def app_config():
    # As in production: loopback refused (a test that needs the receiver allows it).
    return {}


@pytest.fixture
def endpoint(admin) -> WebhookEndpoint:
    created, _secret = endpoints.create(PUBLIC, by=admin)
    db.session.commit()
    return created


def actions(tag: audit.Action) -> list[AuditEvent]:
    return list(
        db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == tag.value)).scalars()
    )


# -- Who may use the pages ---------------------------------------------------------

ROUTES = [
    ("GET", "/admin/webhooks"),
    ("POST", "/admin/webhooks"),
    ("GET", "/admin/webhooks/{id}"),
    ("GET", "/admin/webhooks/{id}/rotate"),
    ("POST", "/admin/webhooks/{id}/rotate"),
    ("POST", "/admin/webhooks/{id}/disable"),
    ("POST", "/admin/webhooks/{id}/enable"),
    ("GET", "/admin/webhooks/{id}/remove"),
    ("POST", "/admin/webhooks/{id}/remove"),
]


@pytest.mark.parametrize("who", [None, Role.ADMIN, Role.CLINICIAN, Role.FRONT_DESK], ids=str)
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=str)
def test_only_admins_may_use_the_webhook_pages(client, endpoint, method, path, who):
    if who is not None:
        login_as(client, make_user(who))
    response = client.open(path.format(id=endpoint.id), method=method, data={"url": PUBLIC})
    if who is None:
        assert response.status_code == HTTPStatus.FOUND
        assert response.headers["Location"].startswith("/login")
    elif who is Role.ADMIN:
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    else:
        assert response.status_code == HTTPStatus.FORBIDDEN
    if who is not Role.ADMIN:
        db.session.expire_all()
        assert count(WebhookEndpoint) == 1


def test_unknown_endpoint_is_404(client, admin):
    login_as(client, admin)
    paths = ("/admin/webhooks/999", "/admin/webhooks/999/remove", "/admin/webhooks/99999999999")
    for path in paths:
        assert client.get(path).status_code == HTTPStatus.NOT_FOUND
    assert client.post("/admin/webhooks/999/disable").status_code == HTTPStatus.NOT_FOUND


def test_the_navigation_links_the_page_for_admins_only(client, admin):
    login_as(client, admin)
    assert 'href="/admin/webhooks"' in client.get("/admin/users").get_data(as_text=True)
    other = make_user(Role.CLINICIAN)
    login_as(client, other)
    page = client.get("/account")
    assert page.status_code == HTTPStatus.OK
    assert 'href="/admin/webhooks"' not in page.get_data(as_text=True)


# -- Registering -------------------------------------------------------------------


def test_registering_shows_the_secret_once_and_it_signs(app, client, admin):
    login_as(client, admin)
    response = client.post("/admin/webhooks", data={"url": f"  {PUBLIC}  "})
    assert response.status_code == HTTPStatus.FOUND
    endpoint = db.session.execute(sa.select(WebhookEndpoint)).scalar_one()
    assert response.headers["Location"] == f"/admin/webhooks/{endpoint.id}"
    assert endpoint.url == PUBLIC and endpoint.active

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    secret = endpoints.secret_of(endpoint)
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret in page
    assert secret not in client.get(response.headers["Location"]).get_data(as_text=True)
    assert secret not in endpoint.secret_sealed  # kept sealed, not in clear
    [created] = actions(audit.Action.WEBHOOK_CREATED)
    assert (created.actor_id, created.target_id) == (admin.id, endpoint.id)
    assert PUBLIC not in str(created.detail)


def test_another_admin_never_sees_the_secret(client, client_for, admin):
    login_as(client, admin)
    location = client.post("/admin/webhooks", data={"url": PUBLIC}).headers["Location"]
    endpoint = db.session.execute(sa.select(WebhookEndpoint)).scalar_one()
    other = client_for()
    login_as(other, make_user(Role.ADMIN))
    assert endpoints.secret_of(endpoint) not in other.get(location).get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://93.184.216.34/hooks", "must start with https://"),
        ("https://localhost/hooks", "leads back to this server"),
        ("https://[::1]/hooks", "leads back to this server (::1)"),
        ("https://10.20.30.40/hooks", "private network address (10.20.30.40)"),
        ("https://169.254.169.254/latest", "link-local address (169.254.169.254)"),
        ("https://224.0.0.1/hooks", "multicast address"),
        ("https://0.0.0.0/hooks", "unspecified address"),
        ("https://240.0.0.1/hooks", "reserved address"),
        ("https://100.64.0.1/hooks", "not public (100.64.0.1)"),
        ("https://me:pw@93.184.216.34/hooks", "Leave the user name and password out"),
        ("https://no-such-host.invalid/hooks", "no-such-host.invalid could not be found"),
        ("partner.example/hooks", "Enter a full address starting with https://"),
        ("", "Enter the address events are sent to"),
    ],
)
def test_a_refused_address_says_why_and_keeps_what_was_typed(client, admin, url, words):
    login_as(client, admin)
    response = client.post("/admin/webhooks", data={"url": url})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = html.unescape(response.get_data(as_text=True))
    assert words in page
    assert 'role="alert"' in page
    if url:
        assert f'value="{url}"' in page
    assert count(WebhookEndpoint) == 0


def test_a_forged_post_without_the_csrf_token_changes_nothing(app, client, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(client, admin)
    response = client.post("/admin/webhooks", data={"url": PUBLIC})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert count(WebhookEndpoint) == 0


# -- Rotating, disabling, removing --------------------------------------------------


def test_rotating_asks_first_then_shows_the_new_secret_once(client, admin, endpoint):
    login_as(client, admin)
    old = endpoints.secret_of(endpoint)
    confirm = client.get(f"/admin/webhooks/{endpoint.id}/rotate")
    assert "Make a new signing secret?" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert endpoints.secret_of(endpoint) == old, "the confirmation page changed the secret"

    response = client.post(f"/admin/webhooks/{endpoint.id}/rotate")
    assert response.headers["Location"] == f"/admin/webhooks/{endpoint.id}"
    db.session.expire_all()
    new = endpoints.secret_of(endpoint)
    assert new != old and endpoint.secret_rotated_at is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert new in page and old not in page
    assert new not in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(actions(audit.Action.WEBHOOK_SECRET_ROTATED)) == 1


def test_disabling_and_enabling(client, admin, endpoint):
    login_as(client, admin)
    client.post(f"/admin/webhooks/{endpoint.id}/disable")
    db.session.expire_all()
    assert not endpoint.active
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "Disabled: no events are sent" in page
    client.post(f"/admin/webhooks/{endpoint.id}/disable")  # again: nothing more
    client.post(f"/admin/webhooks/{endpoint.id}/enable")
    db.session.expire_all()
    assert endpoint.active
    assert len(actions(audit.Action.WEBHOOK_DISABLED)) == 1
    assert len(actions(audit.Action.WEBHOOK_ENABLED)) == 1


def test_removing_asks_first_then_deletes_the_endpoint_and_its_queue(client, admin, endpoint):
    make_submitted()
    assert count(WebhookDelivery) == 1
    login_as(client, admin)
    assert "Remove this webhook address?" in client.get(
        f"/admin/webhooks/{endpoint.id}/remove"
    ).get_data(as_text=True)
    assert count(WebhookEndpoint) == 1
    response = client.post(f"/admin/webhooks/{endpoint.id}/remove")
    assert response.headers["Location"] == "/admin/webhooks"
    assert "no more events are sent there" in client.get("/admin/webhooks").get_data(as_text=True)
    db.session.expire_all()
    assert count(WebhookEndpoint) == 0 and count(WebhookDelivery) == 0
    [removed] = actions(audit.Action.WEBHOOK_REMOVED)
    assert removed.detail == {"pending_dropped": 1}


def test_the_pages_show_recent_deliveries(client, admin, endpoint):
    make_submitted()
    row = db.session.execute(sa.select(WebhookDelivery)).scalar_one()
    row.attempts = 2
    row.last_error = "HTTP 503"
    db.session.commit()
    login_as(client, admin)
    for path in ("/admin/webhooks", f"/admin/webhooks/{endpoint.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "intake.submitted" in page
        assert "Waiting to retry" in page
        assert "HTTP 503" in page
        assert "Next try" in page and "Attempts" in page
    assert PUBLIC in client.get("/admin/webhooks").get_data(as_text=True)
