"""The new staff route by role, and the email settings."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

import pytest

from intake.config import ConfigError, load
from intake.models import Role
from tests.conftest import make_appointment, make_user
from tests.staff.conftest import login_as

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # Allowed: the form is checked (a stale or forged link field: 409, nothing sent).
        (Role.FRONT_DESK, HTTPStatus.CONFLICT),
        (Role.ADMIN, HTTPStatus.CONFLICT),
        (Role.CLINICIAN, HTTPStatus.FORBIDDEN),
        (None, HTTPStatus.FOUND),
    ],
    ids=["front_desk", "admin", "clinician", "signed_out"],
)
def test_send_link_by_role(client, smtp, role, expected):
    appointment, _token = make_appointment(email="p@example.org")
    if role is not None:
        login_as(client, make_user(role))
    response = client.post(
        f"/frontdesk/appointments/{appointment.id}/send-link", data={"link": "forged"}
    )
    assert response.status_code == expected
    if role is None:
        assert response.headers["Location"].startswith("/login")
    assert smtp.messages == []


def _load(tmp_path: Path, **overrides: object) -> dict:
    config: dict = {}
    load(config, tmp_path, {"SECRET_KEY": "s", "INTAKE_AUDIT_KEY": "a", **overrides})
    return config


def test_no_host_means_sending_is_off(tmp_path):
    config = _load(tmp_path)
    assert config["INTAKE_MAIL_ENABLED"] is False
    assert config["MAIL_BACKEND"] == "smtp"


def test_settings_reach_flask_mailman(tmp_path):
    config = _load(
        tmp_path,
        INTAKE_SMTP_HOST="smtp.example.org",
        INTAKE_SMTP_PORT=465,
        INTAKE_SMTP_TLS="ssl",
        INTAKE_SMTP_USERNAME="clinic",
        INTAKE_SMTP_PASSWORD="secret",
        INTAKE_MAIL_SENDER="Clinic <c@example.org>",
    )
    assert config["INTAKE_MAIL_ENABLED"] is True
    assert (config["MAIL_SERVER"], config["MAIL_PORT"]) == ("smtp.example.org", 465)
    assert config["MAIL_USE_SSL"] is True and config["MAIL_USE_TLS"] is False
    assert (config["MAIL_USERNAME"], config["MAIL_PASSWORD"]) == ("clinic", "secret")
    assert config["MAIL_DEFAULT_SENDER"] == "Clinic <c@example.org>"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"INTAKE_SMTP_TLS": "maybe"}, "INTAKE_SMTP_TLS"),
        ({"INTAKE_SMTP_HOST": "smtp.example.org"}, "INTAKE_MAIL_SENDER"),
    ],
)
def test_bad_settings_say_what_to_set(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, **overrides)
