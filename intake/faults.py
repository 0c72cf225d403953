"""Fault-injection pauses, for the test that kills a worker mid-request; inert in service.

A named point pauses only when the app is ``TESTING``, the point is listed
in ``INTAKE_TEST_PAUSE_POINTS`` (a comma-separated list, or a list) *and* the
test has armed it by creating ``<point>.armed`` in ``INTAKE_TEST_PAUSE_DIR``.
The first request to reach it takes the file away, writes ``<point>.<pid>``
(so the test knows which worker to kill, and when) and sleeps for
``INTAKE_TEST_PAUSE_SECONDS``; every other request runs straight through.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import current_app


def pause(point: str) -> None:
    """Pause here if the test configuration asks to (never outside ``TESTING``)."""
    config = current_app.config
    if not config.get("TESTING") or not config.get("INTAKE_TEST_PAUSE_POINTS"):
        return
    points = config["INTAKE_TEST_PAUSE_POINTS"]
    if isinstance(points, str):
        points = [p.strip() for p in points.split(",")]
    if point not in points:
        return
    directory = Path(config["INTAKE_TEST_PAUSE_DIR"])
    try:
        (directory / f"{point}.armed").unlink()
    except FileNotFoundError:  # not armed, or another request took it
        return
    (directory / f"{point}.{os.getpid()}").write_text("")
    time.sleep(float(config.get("INTAKE_TEST_PAUSE_SECONDS", 30)))
