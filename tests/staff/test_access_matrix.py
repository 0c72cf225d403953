"""Every registered route x (anonymous, admin, clinician, front desk) against the ACCESS table.

Each cell passes or fails on its own. A route without a declaration fails
its cells, so nothing new goes live unguarded.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from flask import Blueprint

from intake.api.access import requirement_of
from intake.auth.access import ACCESS, Open, access_for
from intake.models import Role
from tests.conftest import make_user
from tests.staff.conftest import login_as
from tests.staff.route_table import Route, collection_app, routes

pytestmark = pytest.mark.usefixtures("app_ctx")

WHO = [None, Role.ADMIN, Role.CLINICIAN, Role.FRONT_DESK]
# Allowed routes whose right answer is a redirect to the sign-in page.
LEADS_TO_SIGN_IN = {"auth.logout"}
ROUTES = routes()


def is_login_redirect(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and response.headers.get(
        "Location", ""
    ).startswith("/login")


@pytest.mark.parametrize("who", WHO, ids=lambda r: r.value if r else "anonymous")
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_answers_as_the_access_table_says(
    app, client, client_for, route: Route, who: Role | None
):
    rule = access_for(route.endpoint)
    assert rule is not None, (
        f"{route} ({route.endpoint}) has no entry in intake/auth/access.py ACCESS"
    )
    if rule is Open.API:
        # Guarded by intake.api.access.require: for a staff session, its roles.
        requirement = requirement_of(app.view_functions[route.endpoint])
        assert requirement is not None, f"{route} is Open.API but has no require(...)"
        rule = requirement.roles
    if who is not None:
        login_as(client, make_user(who))
    response = client.open(route.url(app), method=route.method)
    status = response.status_code
    response.close()
    assert status < 500, f"{route} as {who}: {status}"

    if rule is Open.PUBLIC:
        assert status not in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN), f"{route}: {status}"
    elif rule is Open.PATIENT:
        # No staff sign-in guards it: a staff session changes nothing about the
        # answer (the patient pages have their own link-and-cookie guard).
        anonymous = client_for().open(route.url(app), method=route.method)
        anonymous.close()
        assert status == anonymous.status_code, f"{route} as {who}: {status}"
        assert not is_login_redirect(response)
    elif who is None:
        if route.rule.startswith("/api/"):
            assert status == HTTPStatus.UNAUTHORIZED
        else:
            assert is_login_redirect(response), f"{route}: {status}"
    elif who in rule:
        assert status not in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN), f"{route}: {status}"
        if route.endpoint not in LEADS_TO_SIGN_IN:
            assert not is_login_redirect(response), f"{route} sent a signed-in {who} to sign in"
    else:
        assert status == HTTPStatus.FORBIDDEN, f"{route} as {who}: {status}"


def test_the_matrix_covers_the_staff_side():
    endpoints = {r.endpoint for r in ROUTES}
    assert {"auth.login", "auth.logout", "auth.account", "admin.users", "admin.audit"} <= (
        endpoints
    )


def test_every_exact_declaration_names_a_real_route():
    endpoints = {rule.endpoint for rule in collection_app().url_map.iter_rules()}
    stale = [key for key in ACCESS if not key.endswith(".*") and key not in endpoints]
    assert stale == [], f"ACCESS declares routes that do not exist: {stale}"


def test_api_routes_are_guarded_by_require_exactly_when_declared_so():
    app = collection_app()
    for endpoint, view in app.view_functions.items():
        declared = access_for(endpoint) is Open.API
        assert declared == (requirement_of(view) is not None), endpoint


def test_an_undeclared_route_is_refused_to_everybody(app, client):
    extra = Blueprint("undeclared_feature", __name__)

    @extra.get("/undeclared")
    def page() -> str:
        return "should never be served"

    app.register_blueprint(extra)
    assert access_for("undeclared_feature.page") is None
    assert client.get("/undeclared").status_code == HTTPStatus.FORBIDDEN
    login_as(client, make_user(Role.ADMIN))
    assert client.get("/undeclared").status_code == HTTPStatus.FORBIDDEN
