"""The command line of CONTRACT section 5, including every bad-input path."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from intake.extensions import db
from intake.links import hash_token
from intake.models import (
    Appointment,
    Intake,
    IntakeLink,
    IntakeStatus,
    Role,
    User,
    booking_key,
    utcnow,
)
from intake.passwords import verify_password
from intake.screening import QUESTIONS, RULESET_VERSION
from tests.conftest import STAFF_PASSWORD, all_no, count

GOOD_PASSWORD = "a long enough pass phrase 73"


@pytest.fixture
def runner(app):
    return (
        app.test_cli_runner(mix_stderr=False) if _supports_mix_stderr() else app.test_cli_runner()
    )


def _supports_mix_stderr() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def assert_input_error(result, fragment: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert result.stdout == ""


# -- questions and screen ---------------------------------------------------------


def test_questions_prints_the_questionnaire(runner):
    result = runner.invoke(args=["questions"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ruleset"] == RULESET_VERSION
    assert [q["id"] for q in data["questions"]] == [q.id for q in QUESTIONS]
    assert all(set(q) == {"id", "text", "required", "source"} for q in data["questions"])


def test_screen_reads_a_file(runner, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(all_no() | {"blood_thinners": "yes", "active_acne": "yes"}))
    result = runner.invoke(args=["screen", str(path)])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ruleset"] == RULESET_VERSION
    assert [f["code"] for f in data["flags"]] == ["ACTIVE_ACNE", "BLEEDING_RISK"]
    assert data["flags"][1] == {
        "code": "BLEEDING_RISK",
        "severity": "precaution",
        "title": "Bleeding risk",
        "because": ["blood_thinners"],
        "source": "article",
    }


def test_screen_reads_stdin(runner):
    result = runner.invoke(args=["screen", "-"], input=json.dumps(all_no()))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["flags"] == []


@pytest.mark.parametrize(
    ("stdin", "fragment"),
    [
        ("{not json", "malformed JSON"),
        ("", "malformed JSON"),
        ("[1, 2]", "not an array"),
        ('"yes"', "not a string"),
        (json.dumps(all_no() | {"tattoo": "no"}), "unknown question id: tattoo"),
        (
            json.dumps({k: v for k, v in all_no().items() if k != "acne_prone"}),
            "missing answer: acne_prone",
        ),
        (json.dumps(all_no() | {"acne_prone": "maybe"}), "bad value for acne_prone"),
        (json.dumps(all_no() | {"acne_prone": True}), "bad value for acne_prone"),
        (json.dumps(all_no() | {"acne_prone_details": 5}), "acne_prone_details must be text"),
    ],
)
def test_screen_bad_input_exits_2_with_one_line(runner, stdin, fragment):
    assert_input_error(runner.invoke(args=["screen", "-"], input=stdin), fragment)


def test_screen_missing_file_exits_2(runner, tmp_path):
    result = runner.invoke(args=["screen", str(tmp_path / "absent.json")])
    assert result.exit_code == 2


# -- users create -------------------------------------------------------------------


def test_users_create_with_password_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "Nurse@Clinic.test", "--role", "clinician", "--password-stdin"],
        input=GOOD_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.stderr
    with app.app_context():
        user = db.session.execute(sa.select(User)).scalar_one()
        assert user.email == "nurse@clinic.test"
        assert user.role is Role.CLINICIAN
        assert user.password_hash.startswith("$argon2id$")
        assert GOOD_PASSWORD not in user.password_hash
        assert verify_password(user.password_hash, GOOD_PASSWORD)


def test_users_create_with_prompt(app, runner):
    result = runner.invoke(
        args=["users", "create", "desk@clinic.test", "--role", "front_desk"],
        input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.stderr
    with app.app_context():
        assert count(User) == 1


@pytest.mark.parametrize(
    ("email", "role", "password", "fragment"),
    [
        ("a@clinic.test", "nurse", GOOD_PASSWORD, "role 'nurse' is not one of"),
        ("not-an-email", "admin", GOOD_PASSWORD, "is not valid"),
        ("a@clinic.test", "admin", "too short", "at least 15 characters"),
        ("a@clinic.test", "admin", "x" * 129, "at most 128 characters"),
        ("a@clinic.test", "admin", "passwordpassword", "one short piece repeated"),
        ("a@clinic.test", "admin", "123456789123456789", "common or breached"),
        ("a@clinic.test", "admin", "aaaaaaaaaaaaaaab", "one short piece repeated"),
        ("a@clinic.test", "admin", "2345678901234567", "sequential"),
        ("a@clinic.test", "admin", "zyxwvutsrqponmlk", "sequential"),
        ("maria.lopez@clinic.test", "admin", "Maria.Lopez-rocks-2026", "name part"),
    ],
)
def test_users_create_refuses_bad_input(app, runner, email, role, password, fragment):
    result = runner.invoke(
        args=["users", "create", email, "--role", role, "--password-stdin"], input=password + "\n"
    )
    assert_input_error(result, fragment)
    with app.app_context():
        assert count(User) == 0


def test_users_create_refuses_duplicate_email_in_any_case(app, runner):
    args = ["users", "create", "a@clinic.test", "--role", "admin", "--password-stdin"]
    assert runner.invoke(args=args, input=GOOD_PASSWORD + "\n").exit_code == 0
    args[2] = "A@Clinic.Test"
    assert_input_error(runner.invoke(args=args, input=STAFF_PASSWORD + "\n"), "already exists")
    with app.app_context():
        assert count(User) == 1


def test_password_may_be_long_and_contain_anything(app, runner):
    # Over 64 characters, spaces and emoji, no digits or capitals: no composition rules.
    password = "el ñandú 🦤 corre por la pampa, lejos del río y de la ciudad grande"
    assert len(password) > 64
    result = runner.invoke(
        args=["users", "create", "b@clinic.test", "--role", "admin", "--password-stdin"],
        input=password + "\n",
    )
    assert result.exit_code == 0, result.stderr


# -- appointments add -----------------------------------------------------------------


def _future(days: int = 3) -> str:
    return (utcnow() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_appointments_add_books_and_prints_the_link(app, runner):
    at = _future()
    result = runner.invoke(
        args=[
            "appointments",
            "add",
            "--first-name",
            "Ana",
            "--last-name",
            "López",
            "--dob",
            "1990-04-12",
            "--at",
            at,
            "--email",
            "ana@example.com",
            "--phone",
            "+1 555 0101",
        ]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"appointment_id", "intake_url"}
    assert data["intake_url"].startswith("http://localhost/i/")
    token = data["intake_url"].rsplit("/", 1)[1]
    assert "Ana" not in data["intake_url"] and "1990" not in data["intake_url"]
    with app.app_context():
        appointment = db.session.get(Appointment, data["appointment_id"])
        assert appointment.last_name == "López"
        assert appointment.starts_at.strftime("%Y-%m-%dT%H:%M") == at  # INTAKE_TIMEZONE is UTC
        intake = db.session.execute(sa.select(Intake)).scalar_one()
        assert intake.status is IntakeStatus.NOT_STARTED
        link = db.session.execute(sa.select(IntakeLink)).scalar_one()
        assert link.token_hash == hash_token(token)


@pytest.mark.parametrize("app_config", [{"INTAKE_TIMEZONE": "America/Los_Angeles"}])
def test_appointments_add_uses_the_clinic_time_zone(app, runner):
    at = _future(40)
    result = runner.invoke(
        args=[
            "appointments",
            "add",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--dob",
            "1990-01-01",
            "--at",
            at,
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        appointment = db.session.execute(sa.select(Appointment)).scalar_one()
        local = appointment.starts_at.astimezone(app.config["INTAKE_TZ"])
        assert local.strftime("%Y-%m-%dT%H:%M") == at
        assert appointment.starts_at.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"--dob": "1990-02-30"}, "date of birth '1990-02-30' is not a date"),
        ({"--dob": "12/04/1990"}, "is not a date in the form YYYY-MM-DD"),
        ({"--dob": "2999-01-01"}, "date of birth must be in the past"),
        ({"--at": "2030-01-01 10:00"}, "is not in the form YYYY-MM-DDTHH:MM"),
        ({"--at": "2030-13-01T10:00"}, "is not in the form YYYY-MM-DDTHH:MM"),
        ({"--at": "2020-01-01T10:00"}, "appointment time is in the past"),
        ({"--email": "not an email"}, "email 'not an email' is not valid"),
        ({"--phone": "call me"}, "is not a phone number"),
        ({"--first-name": "  "}, "first name is required"),
    ],
)
def test_appointments_add_refuses_bad_input(app, runner, override, fragment):
    args = {"--first-name": "Ana", "--last-name": "Lopez", "--dob": "1990-04-12", "--at": _future()}
    args.update(override)
    flat = ["appointments", "add", *[x for pair in args.items() for x in pair]]
    assert_input_error(runner.invoke(args=flat), fragment)
    with app.app_context():
        assert count(Appointment) == 0


def test_db_upgrade_is_available(runner):
    result = runner.invoke(args=["db", "--help"])
    assert result.exit_code == 0
    assert "upgrade" in result.output


def test_demo_creates_one_account_per_role_and_links(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert result.output.count("/i/") == 4
    assert "waiting in the clinician's review queue" in result.output
    with app.app_context():
        roles = {u.role for u in db.session.execute(sa.select(User)).scalars()}
        assert roles == set(Role)
        assert count(Appointment) == 4
        statuses = sorted(i.status for i in db.session.execute(sa.select(Intake)).scalars())
        assert statuses == ["needs_review"] + ["not_started"] * 3
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "already exists" in again.output


def test_demo_run_twice_adds_nothing_and_says_so(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        before = count(Appointment), count(User), count(Intake)
    # Later the same day the demo's slots are other times: move the booked
    # ones half an hour on, as if the first run had been earlier.
    with app.app_context():
        for appointment in db.session.scalars(sa.select(Appointment)):
            appointment.starts_at += dt.timedelta(minutes=30)
            appointment.booking_key = booking_key(
                appointment.first_name,
                appointment.last_name,
                appointment.date_of_birth,
                appointment.starts_at,
            )
        db.session.commit()
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "/i/" not in again.output
    assert again.output.count("already booked at") == 4
    with app.app_context():
        assert (count(Appointment), count(User), count(Intake)) == before


def test_the_default_address_is_known_as_the_default(app, monkeypatch, tmp_path):
    # Built as on a fresh machine: nothing names the address patients reach.
    from intake import create_app
    from tests.conftest import _test_config

    monkeypatch.delenv("INTAKE_BASE_URL", raising=False)
    config = _test_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    del config["INTAKE_BASE_URL"]
    fresh = create_app(config)
    assert fresh.config["INTAKE_BASE_URL_IS_DEFAULT"] is True
    assert app.config["INTAKE_BASE_URL_IS_DEFAULT"] is False  # the tests name one


def test_demo_warns_only_when_the_address_is_the_default(app, runner):
    app.config["INTAKE_BASE_URL_IS_DEFAULT"] = True
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "INTAKE_BASE_URL is not set" in result.output
    app.config["INTAKE_BASE_URL_IS_DEFAULT"] = False
    again = runner.invoke(args=["demo"])
    assert "INTAKE_BASE_URL is not set" not in again.output


@pytest.mark.parametrize("base_url", [None, "https://intake.clinic.example"])
def test_flask_run_says_where_staff_sign_in_and_where_links_lead(tmp_path, base_url):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("INTAKE_BASE_URL", "DATABASE_URL")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.db'}"
    if base_url:
        env["INTAKE_BASE_URL"] = base_url
    flask = Path(sys.executable).with_name("flask")
    server = subprocess.Popen(
        [str(flask), "--app", "wsgi", "run", "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=10)
    assert f"staff sign in at http://127.0.0.1:{port}/login" in err
    assert ("INTAKE_BASE_URL is not set" in err) is (base_url is None)
