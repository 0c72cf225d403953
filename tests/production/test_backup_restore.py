"""Backup and restore as the README says, then check that the copy holds.

A database with submitted intakes, clinicians' decisions and audit events is
backed up (PostgreSQL: ``pg_dump -Fc``; SQLite: the online backup API, what
``sqlite3 SRC ".backup DST"`` runs) and restored into a new database; an app
on the restored copy then verifies the audit chain against the checkpoint
taken before the backup (``audit verify``), proves every acknowledgment's
wording hash, and shows a clinician a sample intake page.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from intake import create_app, decisions
from intake.extensions import db
from intake.models import (
    Acknowledgment,
    Appointment,
    AuditEvent,
    Decision,
    Intake,
    IntakeStatus,
    Role,
)
from intake.wording import signed_wording
from tests.conftest import BACKEND, _pg_admin, _test_config, make_user, pg_url
from tests.staff.conftest import make_submitted, sign_in

pytestmark = pytest.mark.committed

TABLES = (Appointment, Intake, Acknowledgment, Decision, AuditEvent)


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    # This test's own checkpoint file (the default is the instance folder's).
    return {"INTAKE_AUDIT_CHECKPOINTS": str(tmp_path / "audit-checkpoints.jsonl")}


def _libpq(url: str) -> str:
    return str(sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


def _backup_and_restore(source_url: str, directory: Path) -> Iterator[str]:
    """Back up ``source_url`` with the README's commands; yield the restored copy's URL."""
    if BACKEND == "postgresql":
        if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
            pytest.skip("pg_dump/pg_restore not installed")
        dump = directory / "intake.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), _libpq(source_url)], check=True)
        name = f"intake_restored_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        restored = pg_url(name)
        try:
            subprocess.run(
                ["pg_restore", "--exit-on-error", "--no-owner", "-d", _libpq(restored), str(dump)],
                check=True,
            )
            yield restored
        finally:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    source = sa.make_url(source_url).database or ""
    target = directory / "restored.sqlite3"
    # Online backup: consistent even while the app writes (Python's
    # sqlite3.Connection.backup, the API behind the shell's ".backup").
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    yield f"sqlite:///{target}"


def _counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.execute(
            sa.select(sa.func.count()).select_from(model)
        ).scalar_one()
        for model in TABLES
    }


def test_a_restored_backup_verifies_and_shows_the_same_intakes(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        clinician = make_user(Role.CLINICIAN)
        clinician_id, clinician_email = clinician.id, clinician.email
        make_submitted()
        for number in range(3):
            _booked, flagged = make_submitted({"active_acne": "yes"}, first_name=f"Sam{number}")
            decisions.record(
                flagged.id,
                clinician_id=clinician_id,
                outcome=IntakeStatus.DEFERRED,
                note="Come back when the spots have cleared.",
                seen_status=flagged.status,
                seen_decision_id=None,
            )
            db.session.commit()
        sample_id = flagged.id
        before = _counts()
    assert all(before.values()), before
    runner = app.test_cli_runner()
    checkpoint = runner.invoke(args=["audit", "checkpoint"])
    assert checkpoint.exit_code == 0, checkpoint.output

    for restored_url in _backup_and_restore(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path):
        config = _test_config(restored_url, tmp_path / "restored-instance")
        # The same audit key and checkpoint file as the original: what an
        # operator restoring onto a new machine carries over (README).
        config["INTAKE_AUDIT_CHECKPOINTS"] = app.config["INTAKE_AUDIT_CHECKPOINTS"]
        restored = create_app(config)
        try:
            verify = restored.test_cli_runner().invoke(args=["audit", "verify"])
            assert verify.exit_code == 0, verify.output
            with restored.app_context():
                assert _counts() == before
                acknowledgments = db.session.scalars(sa.select(Acknowledgment)).all()
                assert acknowledgments
                for acknowledgment in acknowledgments:
                    assert signed_wording(acknowledgment).verified, acknowledgment.id
            clinician_browser = restored.test_client()
            assert sign_in(clinician_browser, clinician_email).status_code == HTTPStatus.FOUND
            page = clinician_browser.get(f"/review/intakes/{sample_id}")
            assert page.status_code == HTTPStatus.OK
            assert "Sam2" in page.get_data(as_text=True)
        finally:
            with restored.app_context():
                db.session.remove()
                db.engine.dispose()
