"""A temporary password or new recovery codes: made by a POST, shown once by the GET after it.

A reload of the page that shows them must neither show them again nor make
new ones (post/redirect/get); another browser or another admin never sees them.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pyotp
import sqlalchemy as sa

from intake.extensions import db
from intake.models import HeldSecret, Role, User
from intake.passwords import verify_password
from tests.conftest import STAFF_PASSWORD, make_user
from tests.staff.conftest import login_as

TEMPORARY = re.compile(r'id="temporary-password">([^<]+)<')
CODE = re.compile(r'<code class="recovery-code">([a-z2-7-]+)</code>')


def password_hash(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).password_hash


def test_a_new_accounts_password_is_shown_once_after_a_redirect(app_ctx, client, client_for):
    admin = make_user(Role.ADMIN)
    login_as(client, admin)
    made = client.post("/admin/users/new", data={"email": "kai@clinic.test", "role": "clinician"})
    assert made.status_code == HTTPStatus.FOUND
    page = made.headers["Location"]
    assert "kai" not in page
    shown = client.get(page).get_data(as_text=True)
    (password,) = TEMPORARY.findall(shown)
    kai = db.session.execute(sa.select(User).where(User.email == "kai@clinic.test")).scalar_one()
    assert verify_password(kai.password_hash, password)

    again = client.get(page)
    assert again.status_code == HTTPStatus.OK
    assert password not in again.get_data(as_text=True)
    assert "shown once" in again.get_data(as_text=True)
    # Nothing of it is left on the server either.
    held = db.session.execute(sa.select(HeldSecret)).scalar_one()
    assert held.sealed == ""
    assert held.shown_at is not None


def test_a_reset_password_is_shown_once_and_a_reload_resets_nothing(app_ctx, client, client_for):
    admin = make_user(Role.ADMIN)
    person = make_user(Role.FRONT_DESK)
    login_as(client, admin)
    reset = client.post(f"/admin/users/{person.id}/reset-password")
    assert reset.status_code == HTTPStatus.FOUND
    page = reset.headers["Location"]
    (password,) = TEMPORARY.findall(client.get(page).get_data(as_text=True))
    after_reset = password_hash(person.id)

    reloaded = client.get(page).get_data(as_text=True)
    assert TEMPORARY.findall(reloaded) == []
    assert password_hash(person.id) == after_reset
    assert verify_password(after_reset, password)

    # Another admin, in another browser, opening the same address sees nothing.
    other_admin = client_for()
    login_as(other_admin, make_user(Role.ADMIN))
    client.post(f"/admin/users/{person.id}/reset-password")
    assert TEMPORARY.findall(other_admin.get(page).get_data(as_text=True)) == []


def test_new_recovery_codes_are_shown_once_after_a_redirect(app_ctx, client):
    user = make_user(Role.CLINICIAN)
    login_as(client, user)
    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="setup-key-plain"[^>]*value="([A-Z2-7]+)"', html).group(1)
    enrolled = client.post(
        "/account/two-factor",
        data={"code": pyotp.TOTP(secret).now(), "password": STAFF_PASSWORD},
    )
    assert enrolled.status_code == HTTPStatus.FOUND
    assert enrolled.headers["Location"] == "/account/recovery-codes"
    first = CODE.findall(client.get("/account/recovery-codes").get_data(as_text=True))
    assert len(set(first)) == 10
    assert CODE.findall(client.get("/account/recovery-codes").get_data(as_text=True)) == []

    made = client.post("/account/recovery-codes", data={"password": STAFF_PASSWORD})
    assert made.status_code == HTTPStatus.FOUND
    second = CODE.findall(client.get("/account/recovery-codes").get_data(as_text=True))
    assert len(second) == 10
    assert not set(first) & set(second)


def test_a_secret_never_shown_is_deleted_once_its_time_is_past(app_ctx, client):
    import datetime as dt

    from intake.held import HELD_SECONDS

    admin = make_user(Role.ADMIN)
    login_as(client, admin)
    client.post("/admin/users/new", data={"email": "lost@clinic.test", "role": "clinician"})
    forgotten = db.session.execute(sa.select(HeldSecret)).scalar_one()
    forgotten.created_at -= dt.timedelta(seconds=HELD_SECONDS + 1)
    lost = forgotten.subject_id
    db.session.commit()

    client.post("/admin/users/new", data={"email": "next@clinic.test", "role": "clinician"})

    db.session.expire_all()
    subjects = [row.subject_id for row in db.session.execute(sa.select(HeldSecret)).scalars()]
    assert len(subjects) == 1 and lost not in subjects


def test_a_link_never_shown_is_deleted_once_its_time_is_past(app_ctx, client):
    import datetime as dt

    from intake.frontdesk.services import HELD_LINK_SECONDS
    from intake.models import HeldLink
    from tests.conftest import make_appointment

    login_as(client, make_user(Role.FRONT_DESK))
    first, _token = make_appointment(first_name="Ada")
    second, _token = make_appointment(first_name="Bo")
    client.post(f"/frontdesk/appointments/{first.id}/link")
    forgotten = db.session.execute(sa.select(HeldLink)).scalar_one()
    forgotten.created_at -= dt.timedelta(seconds=HELD_LINK_SECONDS + 1)
    db.session.commit()

    client.post(f"/frontdesk/appointments/{second.id}/link")

    db.session.expire_all()
    held_for = [row.appointment_id for row in db.session.execute(sa.select(HeldLink)).scalars()]
    assert held_for == [second.id]
