"""A gunicorn worker killed (SIGKILL) in the middle of a submission leaves all or nothing.

Fault-injection pauses (``intake.faults``, enabled only by this test's
configuration) hold the submission request at several points: after the
intake is locked, after answers, flags and acknowledgment are flushed, after
the audit event, just before the commit and just after it. At each the test
kills the worker that is paused there; gunicorn starts a new one. Then, over
the stored rows: an intake is submitted iff it has its acknowledgment, its
flags and its submission audit event; a kill before the commit left none of
them, a kill after it all of them; the patient can send again and ends with
exactly one submission; and ``audit verify`` passes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from intake.extensions import db
from intake.models import Acknowledgment, AuditEvent, Intake, IntakeStatus
from tests.conftest import _test_config, make_appointment
from tests.integrity.conftest import Browser, aftercare_data, answer_every_step
from tests.production.private_services import free_port

pytestmark = pytest.mark.committed

DOB = "1966-07-21"
# Where the submission is held, in the order the request reaches them; the
# last one is after the commit, so the whole submission must be there.
POINTS = (
    "submit.locked",
    "submit.flushed",
    "submit.audited",
    "commit:patients.aftercare:POST",
    "committed:patients.aftercare:POST",
)


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "RATELIMIT_ENABLED": False,
        "INTAKE_AUDIT_CHECKPOINTS": str(tmp_path / "audit-checkpoints.jsonl"),
    }


def _wait_until_up(base: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == HTTPStatus.OK:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError("gunicorn did not answer")


@pytest.fixture
def gunicorn(app: Flask, tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """Serve the test's database under gunicorn (one worker) with the pause points on."""
    pauses = tmp_path / "pauses"
    pauses.mkdir()
    config = _test_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config.update(
        RATELIMIT_ENABLED=False,
        INTAKE_BASE_URL=base,
        INTAKE_TEST_PAUSE_POINTS=",".join(POINTS),
        INTAKE_TEST_PAUSE_DIR=str(pauses),
        INTAKE_TEST_PAUSE_SECONDS=60,
    )
    empty_config = tmp_path / "gunicorn.conf.py"
    empty_config.write_text("")  # not the repository's: this test sets its own
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(empty_config),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
            "--timeout",
            "120",
            "--graceful-timeout",
            "2",
            f"intake:create_app({config!r})",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(base, server)
        yield base, pauses, server
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _paused_worker(pauses: Path, point: str, sender: threading.Thread) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sender.is_alive():
        for marker in pauses.glob(f"{point}.[0-9]*"):
            return int(marker.name.rsplit(".", 1)[1])
        time.sleep(0.05)
    raise AssertionError(f"the submission never reached {point}")


def _parts_of_submission(intake_id: int) -> tuple[bool, bool, bool, bool]:
    """Return (submitted, has acknowledgment, has flags, has submission audit event)."""
    intake = db.session.get(Intake, intake_id, populate_existing=True)
    assert intake is not None
    acknowledged = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Acknowledgment)
        .where(Acknowledgment.intake_id == intake_id)
    ).scalar_one()
    audited = db.session.execute(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "intake.submitted",
            AuditEvent.target_type == "intake",
            AuditEvent.target_id == intake_id,
        )
    ).scalar_one()
    assert acknowledged <= 1 and audited <= 1
    return (
        intake.submitted_at is not None,
        acknowledged == 1,
        intake.flags is not None,
        audited == 1,
    )


def test_a_worker_killed_during_a_submission_leaves_all_or_nothing(
    app: Flask, gunicorn: tuple[str, Path, subprocess.Popen[bytes]]
) -> None:
    base, pauses, server = gunicorn
    intake_ids: list[int] = []
    for number, point in enumerate(POINTS):
        with app.app_context():
            appointment, token = make_appointment(first_name=f"Kim{number}", dob=DOB)
            intake_id = appointment.intake.id
        intake_ids.append(intake_id)
        patient = Browser(base)
        assert patient.post(f"/i/{token}", {"date_of_birth": DOB}).status_code == 303
        answer_every_step(patient, {"active_acne": "yes"})
        submission = aftercare_data(patient)
        outcome: list[Any] = []

        def send(
            patient: Browser = patient,
            data: dict[str, str] = submission,
            outcome: list[Any] = outcome,
        ) -> None:
            try:
                outcome.append(patient.post("/intake/aftercare", data))
            except requests.RequestException as exc:
                outcome.append(exc)

        (pauses / f"{point}.armed").touch()
        sender = threading.Thread(target=send)
        sender.start()
        os.kill(_paused_worker(pauses, point, sender), signal.SIGKILL)
        sender.join(timeout=60)
        assert outcome and isinstance(outcome[0], requests.RequestException), outcome
        _wait_until_up(base, server)

        with app.app_context():
            parts = _parts_of_submission(intake_id)
        committed = point.startswith("committed:")
        assert parts == (committed,) * 4, (point, parts)

        # The patient sends again (or finds it sent): exactly one submission.
        again = patient.post("/intake/aftercare", aftercare_data(patient) if not committed else {})
        assert again.status_code in {HTTPStatus.SEE_OTHER, HTTPStatus.FOUND}, again.text
        with app.app_context():
            assert _parts_of_submission(intake_id) == (True, True, True, True), point
        patient.close()

    with app.app_context():
        for intake_id in intake_ids:
            intake = db.session.get(Intake, intake_id)
            assert intake is not None and intake.status is IntakeStatus.NEEDS_REVIEW
    verify = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
