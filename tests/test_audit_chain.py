"""The audit chain against a database superuser: edits, deletions, trims, recomputed
and replaced chains, forged checkpoints, forks, and the switch from plain SHA-256.

Tampering goes through a separate connection with raw SQL, as someone with the
database's superuser password would do it, with user triggers switched off on
PostgreSQL (so these tests hold whether or not append-only triggers exist).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from intake import audit, config
from intake.extensions import db
from intake.models import AuditEvent, utcnow
from tests.conftest import BACKEND

TEST_KEY = "test-audit-key"  # what tests/conftest.py sets as INTAKE_AUDIT_KEY
GENESIS = "0" * 64
table = AuditEvent.__table__


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"INTAKE_AUDIT_CHECKPOINTS": str(tmp_path / "checkpoints" / "audit.jsonl")}


@pytest.fixture
def checkpoints(app) -> Path:
    path = Path(app.config["INTAKE_AUDIT_CHECKPOINTS"])
    path.parent.mkdir()
    return path


@pytest.fixture
def cli(app) -> Callable[..., Any]:
    runner = app.test_cli_runner()

    def invoke(*args: str) -> Any:
        return runner.invoke(args=["audit", *args])

    return invoke


# -- Writing events, as the app does now and as the old code did ---------------------------


def write(n: int, action: audit.Action = audit.Action.LINK_OPENED) -> list[int]:
    """Record ``n`` events through the app and commit; return their ids."""
    events = [
        audit.record(action, actor_kind=audit.ActorKind.PATIENT, target=("link", i), step="x")
        for i in range(n)
    ]
    db.session.commit()
    return [e.id for e in events]


def plain_sha256(prev_hash: str, row: Any) -> str:
    """The hash the code before keyed hashes wrote (a copy, so the old code is pinned)."""
    body = json.dumps(
        [
            prev_hash,
            row.occurred_at.astimezone(dt.UTC).isoformat(),
            row.actor_kind,
            row.actor_id,
            row.action,
            row.target_type,
            row.target_id,
            row.detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def write_legacy(conn: sa.Connection, n: int) -> list[int]:
    """Insert ``n`` plain-SHA-256 events as the old code wrote them (no hash_scheme)."""
    prev = conn.execute(
        sa.select(table.c.hash).order_by(table.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev = prev or GENESIS
    ids = []
    for i in range(n):
        now = utcnow()
        row = SimpleNamespace(
            occurred_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
            actor_kind="system",
            actor_id=None,
            action="link.issued",
            target_type="link",
            target_id=i,
            detail={"n": i},
            prev_hash=prev,
        )
        row.hash = plain_sha256(prev, row)
        ids.append(conn.execute(sa.insert(table).values(**vars(row))).inserted_primary_key[0])
        prev = row.hash
    return ids


@contextmanager
def superuser() -> Iterator[sa.Connection]:
    """Yield a connection that bypasses the app (triggers off on PostgreSQL), committed at the end.

    In a rolled-back test this is the test's own connection (a separate one
    could not see its rows), inside a savepoint; in a ``committed`` test it is
    a separate connection, as an intruder's would be.
    """
    db.session.commit()
    if isinstance(db.engine, sa.Connection):
        conn = db.session.connection()
        if BACKEND == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        try:
            with conn.begin_nested():
                yield conn
        finally:
            if BACKEND == "postgresql":
                conn.execute(sa.text("SET LOCAL session_replication_role = origin"))
        db.session.commit()
        db.session.expire_all()
        return
    # The app's session must hold no lock on the table, or ALTER TABLE waits for it.
    db.session.close()
    with db.engine.connect() as conn:
        if BACKEND == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        yield conn
        if BACKEND == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        conn.commit()


def recompute(conn: sa.Connection, digest: Callable[[str, Any], tuple[str, str]]) -> None:
    """Rewrite every prev_hash and hash from the first event on, as a forger would."""
    prev = GENESIS
    for row in conn.execute(sa.select(table).order_by(table.c.id)).all():
        scheme, new = digest(prev, row)
        conn.execute(
            sa.update(table)
            .where(table.c.id == row.id)
            .values(prev_hash=prev, hash=new, hash_scheme=scheme)
        )
        prev = new


def edit(conn: sa.Connection, event_id: int) -> None:
    conn.execute(
        sa.text("UPDATE audit_events SET action = 'auth.sign_out' WHERE id = :id"),
        {"id": event_id},
    )


def ids_in_db() -> list[int]:
    return list(db.session.execute(sa.select(AuditEvent.id).order_by(AuditEvent.id)).scalars())


def problems(result: Any) -> list[str]:
    assert result.exit_code == 1, result.output
    return result.stderr.strip().splitlines()


# -- Configuration ---------------------------------------------------------------------


def test_production_refuses_to_start_without_the_audit_key(tmp_path, monkeypatch):
    monkeypatch.delenv("INTAKE_AUDIT_KEY", raising=False)
    settings: dict[str, Any] = {}
    with pytest.raises(config.ConfigError, match="INTAKE_AUDIT_KEY"):
        config.load(settings, tmp_path, {"INTAKE_ENV": "production", "SECRET_KEY": "s" * 40})


def test_production_refuses_the_session_key_as_the_audit_key(tmp_path, monkeypatch):
    monkeypatch.delenv("INTAKE_AUDIT_KEY", raising=False)
    overrides = {"INTAKE_ENV": "production", "SECRET_KEY": "s" * 40, "INTAKE_AUDIT_KEY": "s" * 40}
    with pytest.raises(config.ConfigError, match="INTAKE_AUDIT_KEY"):
        config.load({}, tmp_path, overrides)


def test_development_keeps_a_generated_audit_key_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("INTAKE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("INTAKE_AUDIT_CHECKPOINTS", raising=False)
    first: dict[str, Any] = {}
    second: dict[str, Any] = {}
    config.load(first, tmp_path, {"SECRET_KEY": "dev"})
    config.load(second, tmp_path, {"SECRET_KEY": "dev"})
    key_file = tmp_path / "audit_key"
    assert first["INTAKE_AUDIT_KEY"] == second["INTAKE_AUDIT_KEY"] == key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first["INTAKE_AUDIT_CHECKPOINTS"] == str(tmp_path / "audit-checkpoints.jsonl")


# -- Keyed events and the switch from plain SHA-256 ------------------------------------


def test_new_events_are_keyed_with_the_audit_key(app_ctx, cli, checkpoints):
    write(3)
    events = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [e.hash_scheme for e in events] == ["hmac-sha256-v2"] * 3
    assert events[0].prev_hash == GENESIS  # an empty chain needs no switch marker
    for event in events:
        assert event.hash == audit.keyed_digest(TEST_KEY, event.prev_hash, event)
        assert event.hash != audit.keyed_digest("another key", event.prev_hash, event)
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "no checkpoints yet" in result.stdout
    assert "audit chain intact (3 events, 0 checkpoints)" in result.stdout


def test_a_legacy_chain_extended_with_keyed_events_verifies(app_ctx, cli, checkpoints):
    with superuser() as conn:
        legacy = write_legacy(conn, 3)
    assert cli("verify").exit_code == 0  # a chain from before keyed hashes verifies as it is
    first = write(2)
    write(2)  # a later transaction: the head is keyed now, so no second marker
    events = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [e.hash_scheme for e in events] == ["sha256-v1"] * 3 + ["hmac-sha256-v2"] * 5
    marker = events[3]
    assert marker.action == audit.Action.AUDIT_SCHEME_CHANGED
    assert marker.prev_hash == events[2].hash and marker.id == legacy[-1] + 1
    assert marker.detail == {"from": "sha256-v1", "to": "hmac-sha256-v2"}
    assert events[4].id == first[0] and events[4].prev_hash == marker.hash
    result = cli("checkpoint")
    assert result.exit_code == 0, result.output
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "audit chain intact (8 events, 1 checkpoint)" in result.stdout


def test_a_legacy_event_after_the_switch_is_a_break(app_ctx, cli, checkpoints):
    write(2)
    with superuser() as conn:
        (forged,) = write_legacy(conn, 1)
    assert problems(cli("verify")) == [
        f"audit event {forged}: uses the legacy unkeyed hash after the chain switched"
        " to keyed hashes"
    ]


# -- Edits and deletions ------------------------------------------------------------------


def test_an_edited_event_is_detected(app_ctx, cli, checkpoints):
    ids = write(4)
    with superuser() as conn:
        edit(conn, ids[1])
    assert problems(cli("verify")) == [
        f"audit event {ids[1]}: content does not match its keyed hash"
    ]


def test_a_deleted_event_in_the_middle_is_detected(app_ctx, cli, checkpoints):
    ids = write(4)
    with superuser() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    assert problems(cli("verify")) == [f"audit event {ids[2]}: does not follow the event before it"]


def test_events_trimmed_from_the_end_are_detected_by_the_checkpoints(app_ctx, cli, checkpoints):
    ids = write(3)
    assert cli("checkpoint").exit_code == 0
    ids += write(2)
    assert cli("checkpoint").exit_code == 0
    with superuser() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE id >= :id"), {"id": ids[2]})
    lines = problems(cli("verify"))
    assert len(lines) == 2
    assert lines[0].startswith(f"audit event {ids[2]}: is missing but the checkpoint of ")
    assert lines[1].startswith(f"audit event {ids[4]}: is missing")
    assert all(f"the chain ends at event {ids[1]}" in line for line in lines)


# -- Recomputed and replaced chains --------------------------------------------------------


def test_a_chain_recomputed_with_plain_sha256_is_refused_after_the_switch_marker(
    app_ctx, cli, checkpoints
):
    with superuser() as conn:
        write_legacy(conn, 2)
    ids = write(3)
    marker = ids[0] - 1
    with superuser() as conn:
        edit(conn, ids[1])
        recompute(conn, lambda prev, row: ("sha256-v1", plain_sha256(prev, row)))
    assert problems(cli("verify")) == [
        f"audit event {marker}: is a scheme-change marker with an unkeyed hash"
    ]


def test_a_chain_recomputed_with_plain_sha256_under_keyed_labels_is_detected(
    app_ctx, cli, checkpoints
):
    ids = write(3)
    with superuser() as conn:
        edit(conn, ids[1])
        recompute(conn, lambda prev, row: (row.hash_scheme, plain_sha256(prev, row)))
    lines = problems(cli("verify"))
    assert lines[0] == f"audit event {ids[0]}: content does not match its keyed hash"
    assert len(lines) == 3


def test_a_keyed_chain_recomputed_with_plain_sha256_is_detected_by_a_checkpoint(
    app_ctx, cli, checkpoints
):
    # A chain that began keyed has no marker to refuse a relabelled
    # recomputation by; the checkpoint is what catches it.
    ids = write(3)
    assert cli("checkpoint").exit_code == 0
    with superuser() as conn:
        edit(conn, ids[0])
        recompute(conn, lambda prev, row: ("sha256-v1", plain_sha256(prev, row)))
    lines = problems(cli("verify"))
    assert len(lines) == 1
    assert lines[0].startswith(f"audit event {ids[2]}: hash differs from the checkpoint of ")
    assert lines[0].endswith("(the chain was recomputed or replaced)")


def test_a_chain_recomputed_with_the_key_after_a_checkpoint_is_detected(app_ctx, cli, checkpoints):
    ids = write(4)
    assert cli("checkpoint").exit_code == 0
    with superuser() as conn:
        edit(conn, ids[1])
        recompute(
            conn, lambda prev, row: (row.hash_scheme, audit.keyed_digest(TEST_KEY, prev, row))
        )
    lines = problems(cli("verify"))
    assert len(lines) == 1
    assert lines[0].startswith(f"audit event {ids[3]}: hash differs from the checkpoint of ")


@pytest.mark.parametrize("with_key", [True, False], ids=["with-the-key", "without-the-key"])
def test_a_chain_replaced_from_scratch_is_detected(app_ctx, cli, checkpoints, with_key):
    ids = write(3)
    assert cli("checkpoint").exit_code == 0
    with superuser() as conn:
        conn.execute(sa.text("DELETE FROM audit_events"))
        if BACKEND == "postgresql":  # ids start again where they did, as on SQLite
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), :n, false)"),
                {"n": ids[0]},
            )
        if not with_key:
            write_legacy(conn, 5)
    if with_key:
        write(5)
    lines = problems(cli("verify"))
    assert len(lines) == 1
    assert lines[0].startswith(f"audit event {ids[2]}: hash differs from the checkpoint of ")


# -- Checkpoints ---------------------------------------------------------------------------


def test_checkpoint_appends_the_head_as_one_private_json_line(app_ctx, cli, checkpoints):
    ids = write(2)
    result = cli("checkpoint")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(checkpoints.stat().st_mode) == 0o600
    ids += write(1)
    assert cli("checkpoint").exit_code == 0
    lines = checkpoints.read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"event_id", "hash", "hash_scheme", "at", "mac"}
    head = db.session.get(AuditEvent, ids[2])
    assert (second["event_id"], second["hash"]) == (head.id, head.hash)
    assert second["hash_scheme"] == "hmac-sha256-v2"
    assert dt.datetime.fromisoformat(second["at"]).tzinfo is not None
    assert first["event_id"] == ids[1]
    assert "audit chain intact (3 events, 2 checkpoints)" in cli("verify").stdout


def test_checkpoint_on_an_empty_chain_writes_nothing(app_ctx, cli, checkpoints):
    result = cli("checkpoint")
    assert result.exit_code == 0
    assert "nothing to checkpoint" in result.stdout
    assert not checkpoints.exists()


def test_checkpoint_refuses_a_chain_that_does_not_verify(app_ctx, cli, checkpoints):
    ids = write(2)
    with superuser() as conn:
        edit(conn, ids[0])
    result = cli("checkpoint")
    assert problems(result)[0].startswith(f"audit event {ids[0]}: ")
    assert not checkpoints.exists()


def _forge_line(path: Path, event_id: int, new_hash: str) -> None:
    lines = path.read_text().splitlines()
    data = json.loads(lines[-1]) | {"event_id": event_id, "hash": new_hash}
    path.write_text("\n".join([*lines[:-1], json.dumps(data)]) + "\n")


def test_a_checkpoint_rewritten_to_cover_a_trim_is_detected(app_ctx, cli, checkpoints):
    ids = write(4)
    assert cli("checkpoint").exit_code == 0
    with superuser() as conn:
        conn.execute(sa.text("DELETE FROM audit_events WHERE id > :id"), {"id": ids[1]})
    new_head = db.session.get(AuditEvent, ids[1])
    _forge_line(checkpoints, new_head.id, new_head.hash)
    lines = problems(cli("verify"))
    assert len(lines) == 1
    assert lines[0].startswith(f"audit event {ids[1]}: checkpoint line 1: the checkpoint of ")
    assert "has a MAC that does not match" in lines[0]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda head: {"event_id": head.id, "hash": head.hash, "mac": "0" * 64},
            id="invented-mac",
        ),
        pytest.param(
            lambda head: {
                "event_id": head.id,
                "hash": head.hash,
                "mac": hmac.new(b"guessed key", b"x", hashlib.sha256).hexdigest(),
            },
            id="another-key",
        ),
        pytest.param(
            lambda head: {"event_id": head.id, "hash": head.hash, "mac": "\u00e9" * 64},
            id="non-ascii-mac",
        ),
    ],
)
def test_a_forged_checkpoint_line_is_detected(app_ctx, cli, checkpoints, forge):
    ids = write(2)
    assert cli("checkpoint").exit_code == 0
    head = db.session.get(AuditEvent, ids[1])
    line = {"hash_scheme": head.hash_scheme, "at": "2030-01-01T00:00:00+00:00"} | forge(head)
    with checkpoints.open("a") as f:
        f.write(json.dumps(line) + "\n")
    assert problems(cli("verify")) == [
        f"audit event {ids[1]}: checkpoint line 2: the checkpoint of 2030-01-01T00:00:00+00:00"
        " has a MAC that does not match (forged, edited, or made with another key)"
    ]


def test_an_unreadable_checkpoint_line_is_reported(app_ctx, cli, checkpoints):
    write(1)
    assert cli("checkpoint").exit_code == 0
    with checkpoints.open("a") as f:
        f.write("not json\n")
    assert problems(cli("verify")) == ["checkpoint line 2: not JSON"]


# -- Forks -----------------------------------------------------------------------------------


def test_the_database_refuses_a_fork(app_ctx, checkpoints):
    ids = write(2)
    first = db.session.get(AuditEvent, ids[0])
    fork = {c.name: getattr(first, c.name) for c in table.columns if c.name not in {"id", "hash"}}
    with pytest.raises(IntegrityError), superuser() as conn:
        conn.execute(sa.insert(table).values(fork | {"hash": "f" * 64}))


@pytest.mark.committed
def test_concurrent_appends_never_fork(app, app_ctx, cli, checkpoints):
    """Threads, each with its own connection, append at once: one chain, no fork.

    PostgreSQL serialises appends with an advisory lock; SQLite with the write
    lock every transaction takes first (BEGIN IMMEDIATE, intake.unit_of_work).
    """
    threads_n, rounds = 8, 15
    with superuser() as conn:
        write_legacy(conn, 1)  # so that every thread races to write the switch marker too
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for i in range(rounds):
                    audit.record(
                        audit.Action.STEP_SAVED,
                        actor_kind=audit.ActorKind.PATIENT,
                        target=("intake", n),
                        round=i,
                    )
                    audit.record(audit.Action.LINK_OPENED, actor_kind=audit.ActorKind.PATIENT)
                    db.session.commit()
        except BaseException as exc:  # reported below, from the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    db.session.close()
    total = 1 + 1 + threads_n * rounds * 2  # legacy event, marker, appended events
    rows = db.session.execute(sa.select(AuditEvent.prev_hash, AuditEvent.action)).all()
    assert len(rows) == total
    assert len({r.prev_hash for r in rows}) == total
    assert sum(r.action == audit.Action.AUDIT_SCHEME_CHANGED for r in rows) == 1
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert f"audit chain intact ({total} events" in result.stdout
