"""With CSRF on, every POST route refuses a request without a token (400), changing nothing."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake.auth.access import Open, access_for
from intake.extensions import db
from intake.models import AuditEvent, Role, User
from tests.conftest import make_user
from tests.staff.conftest import login_as, sign_in
from tests.staff.route_table import Route, post_routes

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


# The one POST without CSRF: an email's "no more reminders" link, whose RFC 8058
# one-click POST comes from a mail app with no CSRF token. Its signed token in
# the URL authenticates it (tests/mail/test_unsubscribe.py).
CSRF_EXEMPT = {"mail.stop_reminders"}


@pytest.mark.parametrize("who", [None, Role.ADMIN], ids=["anonymous", "admin"])
@pytest.mark.parametrize(
    "route", [r for r in post_routes() if r.endpoint not in CSRF_EXEMPT], ids=str
)
def test_post_without_a_token_is_refused(app, client, route: Route, who):
    if who is not None:
        login_as(client, make_user(who))
    before = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()
    response = client.post(route.url(app), data={"email": "a@clinic.test", "role": "admin"})
    expected = HTTPStatus.BAD_REQUEST
    if who is None and access_for(route.endpoint) is Open.API:
        # Nobody signed in and no bearer token: an API client is told to
        # authenticate (401, WWW-Authenticate: Bearer); there is no session to forge.
        expected = HTTPStatus.UNAUTHORIZED
    assert response.status_code == expected, f"{route}: {response.status_code}"
    db.session.rollback()
    after = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()
    assert after == before


@pytest.mark.parametrize("route", [r for r in post_routes() if r.endpoint in CSRF_EXEMPT], ids=str)
def test_the_exempt_post_without_its_signed_token_changes_nothing(app, client, route: Route):
    before = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()
    response = client.post(route.url(app))
    assert response.status_code == HTTPStatus.NOT_FOUND
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one() == before


def test_a_wrong_token_is_refused_too(client):
    user = make_user(Role.ADMIN)
    login_as(client, user)
    response = client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": "forged"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Nothing was saved" in response.get_data(as_text=True)


def test_with_the_token_from_the_form_sign_in_and_admin_actions_work(client):
    admin = make_user(Role.ADMIN)
    other = make_user(Role.CLINICIAN)
    assert sign_in(client, admin.email).status_code == HTTPStatus.FOUND
    page = client.get(f"/admin/users/{other.id}").get_data(as_text=True)
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page)
    response = client.post(f"/admin/users/{other.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == HTTPStatus.FOUND
    db.session.expire_all()
    assert db.session.get(User, other.id).active is False
