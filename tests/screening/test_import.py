"""The screening core stands alone: importing it loads no web or database layer."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

# Run in a fresh interpreter: in the test process Flask, SQLAlchemy and the
# app's logging are already loaded by other tests' fixtures.
PROBE = """
import json, logging, sys
before = list(logging.getLogger().handlers)
import intake.screening
print(json.dumps({
    "loaded": sorted(
        m for m in sys.modules if m.split(".")[0] in {"flask", "sqlalchemy", "werkzeug"}
    ),
    "handlers_added": len(logging.getLogger().handlers) - len(before),
    "level": logging.getLogger().level,
}))
"""


def test_importing_the_screening_core_has_no_side_effects():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(result.stdout)
    assert report["loaded"] == []
    assert report["handlers_added"] == 0
    # Python's default root level: nothing reconfigured logging.
    assert report["level"] == logging.WARNING
    assert result.stderr == ""


def test_the_app_factory_is_still_importable_from_the_package():
    from intake import create_app
    from intake.app import create_app as factory

    assert create_app is factory
