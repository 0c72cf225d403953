"""The clinic's clock: staff pages show and take times in ``INTAKE_TIMEZONE``; storage is UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_time

from intake.models import utcnow


def clinic_tz() -> ZoneInfo:
    tz: ZoneInfo = current_app.config["INTAKE_TZ"]
    return tz


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(clinic_tz())


def clinic_today(now: dt.datetime | None = None) -> dt.date:
    return local(now or utcnow()).date()


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the UTC instants where ``day`` starts and the next day starts, in the clinic.

    Built from local midnights, so a day with a daylight-saving change is 23
    or 25 hours long, as it is on the clinic's wall clock.
    """
    tz = clinic_tz()
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def when(moment: dt.datetime) -> str:
    """Format a stored time as the clinic reads it: ``Tue 24 Nov 2026, 09:30``."""
    moment = local(moment)
    return f"{format_date(moment.date(), 'EEE d MMM y', rebase=False)}, {clock(moment)}"


def clock(moment: dt.datetime) -> str:
    """Return just the clinic's wall-clock time of ``moment`` (``09:30``)."""
    return str(format_time(local(moment).time(), "HH:mm", rebase=False))


def long_date(day: dt.date) -> str:
    return str(format_date(day, "EEEE d MMMM y", rebase=False))


def short_date(day: dt.date) -> str:
    return str(format_date(day, "d MMM y", rebase=False))


def template_helpers() -> dict[str, object]:
    """Helpers for staff templates (a blueprint context processor returns these)."""
    return {
        "when": when,
        "clock": clock,
        "long_date": long_date,
        "short_date": short_date,
        "local_day": lambda moment: local(moment).date(),
        "tz_name": str(clinic_tz()),
    }
