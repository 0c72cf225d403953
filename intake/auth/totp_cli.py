"""``flask --app wsgi totp rotate-keys``: re-encrypt every TOTP secret with the first key."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from intake import audit
from intake.auth import totp
from intake.unit_of_work import transactional

totp_group = AppGroup("totp", help="Authenticator (TOTP) secrets.")


@totp_group.command("rotate-keys")
@transactional
def rotate_keys_command() -> None:
    """Re-encrypt every secret with the first key of INTAKE_TOTP_KEYS.

    Put a new key first, keep the old ones after it, run this, then remove
    the old keys. Secrets stored in clear (before encryption) are encrypted.
    """
    try:
        count = totp.rotate_all()
    except totp.TotpKeyError as exc:
        raise click.ClickException(f"{exc}; nothing was changed") from None
    audit.record(audit.Action.TOTP_KEYS_ROTATED, actor_kind=audit.ActorKind.SYSTEM, count=count)
    click.echo(f"re-encrypted {count} authenticator secret{'s' if count != 1 else ''}")
