"""``flask --app wsgi audit ...``: verify the audit chain and checkpoint its head.

A checkpoint is one JSON line in the file named by ``INTAKE_AUDIT_CHECKPOINTS``:
the head event's id, hash and hash scheme, the time, and a MAC over those made
with ``INTAKE_AUDIT_KEY``. The file belongs on storage the database's
administrators cannot rewrite; ``verify`` then notices a chain that was
trimmed, recomputed or replaced since.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from intake import audit

audit_group = AppGroup("audit", help="Check the audit log and checkpoint its head.")


def _checkpoint_path() -> Path:
    return Path(current_app.config["INTAKE_AUDIT_CHECKPOINTS"])


def _read_checkpoints(path: Path) -> tuple[list[audit.Checkpoint], list[tuple[int | None, str]]]:
    """Return the file's good checkpoints and a problem line for each bad one."""
    good: list[audit.Checkpoint] = []
    problems: list[tuple[int | None, str]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read the checkpoint file {path}: {exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            good.append(audit.parse_checkpoint(line))
        except audit.CheckpointError as exc:
            problems.append((exc.event_id, f"checkpoint line {number}: {exc}"))
    return good, problems


def _verify() -> tuple[audit.Verification, bool]:
    """Verify the chain against every checkpoint; print each problem; exit 1 on any."""
    path = _checkpoint_path()
    have_file = path.exists()
    checkpoints, problems = _read_checkpoints(path) if have_file else ([], [])
    result = audit.verify(checkpoints)
    lines: list[tuple[int | None, str]] = [
        (b.event_id, f"audit event {b.event_id}: {b.reason}") for b in result.breaks
    ]
    lines += [
        (event_id, f"audit event {event_id}: {reason}" if event_id is not None else reason)
        for event_id, reason in problems
    ]
    # Unnumbered problems (unreadable lines) last; otherwise the first bad event first.
    lines.sort(key=lambda item: (item[0] is None, item[0] or 0))
    for _event_id, line in lines:
        click.echo(line, err=True)
    if lines:
        raise SystemExit(1)
    return result, have_file


@audit_group.command("verify")
def verify_command() -> None:
    """Check the hash chain and every checkpoint; exit 1 naming each problem."""
    result, have_file = _verify()
    if not have_file:
        click.echo(f"no checkpoints yet ({_checkpoint_path()} does not exist)")
    events = f"{result.events} event{'' if result.events == 1 else 's'}"
    marks = f"{result.checkpoints} checkpoint{'' if result.checkpoints == 1 else 's'}"
    click.echo(f"audit chain intact ({events}, {marks})")


@audit_group.command("checkpoint")
def checkpoint_command() -> None:
    """Append the verified head of the chain to the checkpoint file."""
    # A checkpoint of a chain that no longer verifies would vouch for the
    # tampering, so verify first and pin exactly the head that was verified.
    result, _have_file = _verify()
    checkpoint = result.checkpoint()
    if checkpoint is None:
        click.echo("no audit events yet: nothing to checkpoint")
        return
    path = _checkpoint_path()
    if path.parent == Path(current_app.instance_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    line = audit.checkpoint_line(checkpoint) + "\n"
    try:
        # O_APPEND: one write() per line, so two runs at once cannot interleave.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise click.ClickException(f"cannot write the checkpoint file {path}: {exc}") from None
    click.echo(f"checkpoint: audit event {checkpoint.event_id} written to {path}")
