"""Starting the app imports Alembic only when a ``db`` command runs (and the webhook
HTTP client only when ``webhooks deliver`` runs), and those commands still work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]


LAZY = {"alembic", "flask_migrate", "httpx"}


def test_building_the_app_and_listing_commands_leaves_alembic_unimported(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from intake import create_app\n"
        "app = create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x'})\n"
        "app.test_cli_runner().invoke(args=['--help'])\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {LAZY!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


@pytest.mark.committed
def test_db_commands_run_with_their_own_options(app: Flask) -> None:
    runner = app.test_cli_runner()
    # The database is at head already: upgrade runs through Flask-Migrate's
    # own group callback (its --directory and -x options) and changes nothing.
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "--help"])
    assert "upgrade" in result.output
