"""``flask --app wsgi webhooks deliver``: run from cron (see the README's Webhooks section)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

webhooks_group = AppGroup("webhooks", help="Deliver queued webhook events.")


@webhooks_group.command("deliver")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="At most this many deliveries in one run.",
)
def deliver_command(limit: int) -> None:
    """Send due webhook deliveries (retrying with back-off); print a summary line."""
    # Imported here: the HTTP client (httpx) costs a tenth of a second of
    # start-up that no other command, and no web worker, needs.
    from intake.webhooks.delivery import deliver_due

    summary = deliver_due(limit)
    click.echo(summary.line())
