"""Intake link tokens: enough entropy, nothing stored but a hash, and their lifetimes."""

from __future__ import annotations

import base64
import datetime as dt

import sqlalchemy as sa

from intake.extensions import db
from intake.links import LinkState, find_link, hash_token, link_state
from intake.links import issue as issue_link
from intake.models import IntakeLink, utcnow
from tests.conftest import make_appointment


def test_token_carries_256_random_bits(app_ctx):
    tokens = {make_appointment(first_name=f"P{i}")[1] for i in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 == 256


def test_only_the_sha256_of_the_token_is_stored(app_ctx):
    _appointment, token = make_appointment()
    link = db.session.execute(sa.select(IntakeLink)).scalar_one()
    assert link.token_hash == hash_token(token)
    assert len(link.token_hash) == 64
    # Nothing in any column of any table holds the token itself.
    rows = 0
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            rows += 1
            assert all(token not in str(value) for value in row)
    assert rows > 0  # the loop above really looked at the booking's rows


def test_token_reveals_nothing_about_the_patient(app_ctx):
    appointment, token = make_appointment(first_name="Zelda", dob="1977-07-07")
    _link, again = issue_link(appointment.id)
    # A token derived from the patient or the appointment would repeat here.
    assert again != token
    for each in (token, again):
        raw = base64.urlsafe_b64decode(each + "=" * (-len(each) % 4))
        for secret in ("zelda", "1977"):
            assert secret not in each.lower()
            assert secret.encode() not in raw.lower()


def test_find_link_by_token_only(app_ctx):
    appointment, token = make_appointment()
    assert find_link(token).appointment_id == appointment.id
    assert find_link(token[:-1]) is None
    assert find_link("") is None
    assert find_link("x" * 500) is None
    assert find_link(hash_token(token)) is None


def test_link_states(app, app_ctx):
    appointment, token = make_appointment(starts_in=dt.timedelta(hours=1))
    link = find_link(token)
    assert link_state(link) is LinkState.VALID
    grace = dt.timedelta(hours=app.config["INTAKE_LINK_GRACE_HOURS"])
    assert (
        link_state(link, appointment.starts_at + grace - dt.timedelta(minutes=1)) is LinkState.VALID
    )
    assert link_state(link, appointment.starts_at + grace) is LinkState.EXPIRED
    link.locked_at = utcnow()
    assert link_state(link) is LinkState.LOCKED
    link.revoked_at = utcnow()
    assert link_state(link) is LinkState.REVOKED


def test_reissue_revokes_the_old_link_and_starts_unlocked(app_ctx):
    appointment, old_token = make_appointment()
    old = find_link(old_token)
    old.failed_attempts = 5
    old.locked_at = utcnow()
    db.session.commit()
    new, new_token = issue_link(appointment.id)
    db.session.commit()
    assert new_token != old_token
    assert link_state(find_link(old_token)) is LinkState.REVOKED
    assert link_state(new) is LinkState.VALID
    assert new.failed_attempts == 0
