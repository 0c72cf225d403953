"""Structured logs: one JSON line per request and one per CLI command (issue 14).

Requests go through the app (each with its own context, as in production);
commands run as real ``flask --app wsgi ...`` processes on the test's
committed database, so the line is the one an operator's log would get.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

from intake.models import Role
from intake.request_log import REQUEST_LOGGER, JsonFormatter
from tests.conftest import STAFF_PASSWORD, make_appointment, make_user

ROOT = Path(__file__).resolve().parents[2]
GENERATED = re.compile(r"[0-9a-f]{32}")


class _Lines(logging.Handler):
    """The request logger's records, as the JSON lines the app writes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def request_lines() -> Iterator[_Lines]:
    handler = _Lines()
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.addHandler(handler)
    saved = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(saved)


def test_a_patient_request_logs_the_route_pattern_not_the_token(app, client, request_lines):
    with app.app_context():
        _appointment, token = make_appointment()
    response = client.get(f"/i/{token}")
    assert response.status_code == HTTPStatus.OK

    [line] = request_lines.lines
    assert token not in line
    record = json.loads(line)
    assert record["message"] == "request"
    assert record["level"] == "INFO" and record["name"] == "intake.request"
    # ISO 8601 in UTC, with milliseconds.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", record["time"])
    assert record["route"] == "/i/<token>"
    assert record["method"] == "GET"
    assert record["status"] == HTTPStatus.OK
    assert isinstance(record["duration_ms"], int | float) and record["duration_ms"] >= 0
    assert record["user_id"] is None
    assert GENERATED.fullmatch(record["request_id"])
    assert response.headers["X-Request-ID"] == record["request_id"]


def test_a_staff_request_names_the_user_id(app, client, request_lines):
    with app.app_context():
        user = make_user(Role.CLINICIAN)
        email, user_id = user.email, user.id
    client.post("/login", data={"email": email, "password": STAFF_PASSWORD})
    assert client.get("/review/").status_code == HTTPStatus.OK
    record = request_lines.records()[-1]
    assert record["route"] == "/review/"
    assert record["user_id"] == user_id


def test_an_unknown_path_has_no_route_and_its_status(client, request_lines):
    response = client.get("/no/such/page/Quarterbridge")
    assert response.status_code == HTTPStatus.NOT_FOUND
    [record] = request_lines.records()
    assert record["route"] is None
    assert record["status"] == HTTPStatus.NOT_FOUND
    assert "Quarterbridge" not in request_lines.lines[0]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("0f8fad5b-d9cb-469f-a165-70867728950e", True),  # a UUID, as most proxies send
        ("7d9e3c1b2a4f5e6d7c8b9a0f1e2d3c4b", True),  # nginx's $request_id
        ("Wilhelmina", False),  # a name is not an id
        ("abc", False),  # too short to be one
        ("a" * 65, False),
        ("0f8fad5b\r\nX-Injected: 1", False),
        ("/i/secret-token-value", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_it_is_a_short_safe_token(
    client, request_lines, sent, kept
):
    # werkzeug's test client refuses a header with a line break itself; the
    # check is the same on a value that reaches the app.
    sent_value = sent.replace("\r\n", " ")
    response = client.get("/healthz", headers={"X-Request-ID": sent_value})
    [record] = request_lines.records()
    echoed = response.headers["X-Request-ID"]
    assert echoed == record["request_id"]
    if kept:
        assert echoed == sent_value
    else:
        assert echoed != sent_value
        assert GENERATED.fullmatch(echoed)
        assert sent_value not in request_lines.lines[0]


def test_each_request_gets_its_own_id(client, request_lines):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second
    assert [r["request_id"] for r in request_lines.records()] == [first, second]


# -- Commands --------------------------------------------------------------------


def _flask(app, tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    log = tmp_path / "commands.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "INTAKE_AUDIT_KEY": app.config["INTAKE_AUDIT_KEY"],
        "INTAKE_TOTP_KEYS": app.config["INTAKE_TOTP_KEYS"],
        "INTAKE_COMMAND_LOG": str(log),
        "INTAKE_PASSWORD_HASHING": "cheapest",
    }
    env.pop("REDIS_URL", None)
    flask = Path(sys.executable).with_name("flask")
    return subprocess.run(
        [str(flask), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _command_lines(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "commands.log").read_text().splitlines()]


@pytest.mark.committed
def test_each_command_writes_one_line_with_its_name_status_and_duration(app, tmp_path):
    ok = _flask(app, tmp_path, "questions")
    assert ok.returncode == 0, ok.stderr
    bad = _flask(app, tmp_path, "screen", "-", stdin="[1]")
    assert bad.returncode == 2
    # The contract's one line on stderr for a failing command stays one line.
    assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    booked = _flask(
        app,
        tmp_path,
        "appointments",
        "add",
        "--first-name",
        "Wilhelmina",
        "--last-name",
        "Quarterbridge",
        "--dob",
        "1961-08-23",
        "--at",
        "2199-01-02T10:30",
        "--email",
        "wilhelmina.quarterbridge@example.org",
    )
    assert booked.returncode == 0, booked.stderr

    lines = _command_lines(tmp_path)
    assert [(r["command"], r["exit_status"]) for r in lines] == [
        ("questions", 0),
        ("screen", 2),
        ("appointments add", 0),
    ]
    for record in lines:
        assert record["message"] == "command"
        assert isinstance(record["duration_ms"], int | float) and record["duration_ms"] >= 0
    text = (tmp_path / "commands.log").read_text()
    for argument in ("Wilhelmina", "Quarterbridge", "1961-08-23", "example.org", "2199"):
        assert argument not in text
