"""The front door (``/``), robots.txt, the favicon and the no-index header."""

from __future__ import annotations

from http import HTTPStatus

from intake.models import Role
from tests.conftest import make_user
from tests.patients.conftest import booked
from tests.staff.conftest import login_as


def test_the_front_door_points_staff_to_sign_in_and_says_nothing_of_patients(client):
    response = client.get("/")
    assert response.status_code == HTTPStatus.OK
    html = response.get_data(as_text=True)
    assert 'href="/login"' in html
    assert 'name="description"' in html
    lowered = html.lower()
    assert "patient" not in lowered and "intake link" not in lowered


def test_a_signed_in_member_goes_to_their_start_page(app, client):
    with app.app_context():
        login_as(client, make_user(Role.CLINICIAN))
    response = client.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == "/staff/"


def test_robots_are_kept_out_of_everything(app, client):
    robots = client.get("/robots.txt")
    assert robots.status_code == HTTPStatus.OK
    assert robots.mimetype == "text/plain"
    assert "Disallow: /" in robots.get_data(as_text=True)
    _id, token = booked(app)
    for path in ("/", "/login", f"/i/{token}", "/healthz", "/no-such-page"):
        assert client.get(path).headers.get("X-Robots-Tag") == "noindex, nofollow", path


def test_the_favicon_is_an_empty_answer_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.data == b""
