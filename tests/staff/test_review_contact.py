"""The clinician's intake page shows how to reach the patient: phone and email links."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from intake.extensions import db
from intake.models import Role
from intake.review.views import tel_href
from tests.conftest import make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.ADMIN])
def test_clinicians_and_admins_see_phone_and_email_as_links(client, role):
    appointment, intake = make_submitted({"active_acne": "yes"}, email="robin@example.org")
    appointment.phone = "+44 (0)20 7946 0018"
    db.session.commit()
    login_as(client, make_user(role))

    page = client.get(f"/review/intakes/{intake.id}").get_data(as_text=True)

    assert 'href="tel:+4402079460018">+44 (0)20 7946 0018</a>' in page
    assert 'href="mailto:robin@example.org">robin@example.org</a>' in page


def test_missing_contact_details_say_so(client):
    _, intake = make_submitted({"active_acne": "yes"})
    login_as(client, make_user(Role.CLINICIAN))

    page = client.get(f"/review/intakes/{intake.id}").get_data(as_text=True)

    assert "tel:" not in page and "mailto:" not in page
    assert page.count("not given") == 2


def test_the_front_desk_cannot_open_the_page_that_shows_them(client):
    _, intake = make_submitted({"active_acne": "yes"}, email="robin@example.org")
    login_as(client, make_user(Role.FRONT_DESK))

    response = client.get(f"/review/intakes/{intake.id}")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "robin@example.org" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "href"),
    [
        ("+1 555 0100", "tel:+15550100"),
        ("020-7946 0018", "tel:02079460018"),
        ("  (555) 123.4567 ", "tel:5551234567"),
    ],
)
def test_tel_links_keep_only_digits_and_a_leading_plus(typed, href):
    assert tel_href(typed) == href
