"""`users list`, `reset-password`, `unlock` and `deactivate`: an admin locked out has a way back."""

from __future__ import annotations

import re
import uuid
from http import HTTPStatus

import pytest
import redis
import sqlalchemy as sa

from intake.extensions import db
from intake.models import AuditEvent, Role, User
from tests.conftest import make_user
from tests.staff.conftest import sign_in

REDIS_URL = "redis://127.0.0.1:6379/4"
WRONG = "this is not the password at all"


def test_list_shows_every_account_and_its_state(app, runner_for):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        desk = make_user(Role.FRONT_DESK)
        desk.active = False
        db.session.commit()
        emails = admin.email, desk.email
    result = runner_for.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "admin" in lines[emails[0]] and "active" in lines[emails[0]]
    assert "never signed in" in lines[emails[0]]
    assert "deactivated" in lines[emails[1]]


def test_reset_password_prints_a_temporary_password_that_signs_in_once_changed(
    app, runner_for, client
):
    with app.app_context():
        email = make_user(Role.ADMIN).email
    result = runner_for.invoke(args=["users", "reset-password", email.upper()])
    assert result.exit_code == 0, result.output
    temporary = re.search(r"\(shown once\): (\S+)", result.output).group(1)
    response = sign_in(client, email, temporary)
    assert response.status_code == HTTPStatus.FOUND
    # The first page is the password change, whatever was asked for.
    assert client.get("/admin/users").headers["Location"].startswith("/account/password")
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "user.password_reset" in actions


@pytest.mark.parametrize("command", ["reset-password", "unlock", "deactivate"])
def test_an_unknown_email_exits_2_and_says_so(runner_for, command):
    result = runner_for.invoke(args=["users", command, "nobody@clinic.test"])
    assert result.exit_code == 2
    assert "no staff account with email nobody@clinic.test" in result.output


def test_deactivate_stops_sign_in_and_keeps_the_last_admin(app, runner_for, client):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        clinician = make_user(Role.CLINICIAN)
        emails = admin.email, clinician.email
    assert runner_for.invoke(args=["users", "deactivate", emails[1]]).exit_code == 0
    assert sign_in(client, emails[1]).status_code == HTTPStatus.OK  # the form again
    with app.app_context():
        assert db.session.scalar(sa.select(User.active).where(User.email == emails[1])) is False
    last = runner_for.invoke(args=["users", "deactivate", emails[0]])
    assert last.exit_code == 2
    assert "last active admin" in last.output
    again = runner_for.invoke(args=["users", "deactivate", emails[1]])
    assert again.exit_code == 0 and "already deactivated" in again.output


@pytest.fixture
def app_config():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.fail("no Redis server at 127.0.0.1:6379")
    prefix = f"intake-unlock-{uuid.uuid4().hex}"
    yield {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "REDIS_URL": REDIS_URL,
    }
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_unlock_clears_the_accounts_failed_sign_ins_for_every_process(app, runner_for, client_for):
    with app.app_context():
        email = make_user(Role.ADMIN).email
    limit = app.config["INTAKE_SIGN_IN_MAX_FAILURES"]
    for _ in range(limit):
        sign_in(client_for(), email, WRONG)
    assert sign_in(client_for(), email).status_code == HTTPStatus.TOO_MANY_REQUESTS
    result = runner_for.invoke(args=["users", "unlock", email])
    assert result.exit_code == 0, result.output
    assert "note:" not in result.output  # Redis: shared by every process
    assert sign_in(client_for(), email).status_code == HTTPStatus.FOUND
