"""Two admins demoting each other at the same moment: one wins, one admin is always left."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from flask import Flask

from intake.admin import services
from intake.extensions import db
from intake.models import Role, User
from tests.conftest import BACKEND, make_user

pytestmark = [
    pytest.mark.committed,
    pytest.mark.postgres_only,
    pytest.mark.skipif(BACKEND != "postgresql", reason="needs two real PostgreSQL connections"),
]


def test_two_admins_demoting_each_other_leave_one_admin(app: Flask):
    with app.app_context():
        first = make_user(Role.ADMIN)
        second = make_user(Role.ADMIN)
        first_id, second_id = first.id, second.id

    outcome: dict[str, object] = {}

    def demote_first() -> None:
        with app.app_context():
            me = db.session.get(User, second_id)
            target = db.session.get(User, first_id)
            try:
                services.change_role(target, Role.CLINICIAN, by=me)
                db.session.commit()
                outcome["second"] = "demoted"
            except services.LastAdminError:
                db.session.rollback()
                outcome["second"] = "refused"

    with app.app_context():
        me = db.session.get(User, first_id)
        target = db.session.get(User, second_id)
        services.change_role(target, Role.CLINICIAN, by=me)  # holds its locks until commit
        other = threading.Thread(target=demote_first)
        other.start()
        time.sleep(0.5)
        assert other.is_alive(), "the second demotion should wait for the first"
        db.session.commit()
    other.join(timeout=10)
    assert outcome == {"second": "refused"}
    with app.app_context():
        admins = db.session.execute(
            sa.select(sa.func.count()).where(User.role == Role.ADMIN, User.active.is_(True))
        ).scalar_one()
        assert admins == 1
