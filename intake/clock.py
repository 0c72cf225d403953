"""The clinic's clock: every page, PDF and command shows times in ``INTAKE_TIMEZONE``.

Storage is UTC. :func:`when` is the one formatter of a stored moment; its
``style`` picks how much it says, and the language is the request's.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import current_app
from flask_babel import get_locale, gettext

from intake.models import utcnow

Style = Literal["staff", "patient", "stamp", "time"]

# The days anyone may type into a date field (a day to show, an audit filter).
# Far inside Python's years 1-9999, so the day before or after one, and its
# midnight in any time zone as UTC, always exist: 0001-01-01 and 9999-12-31
# used to overflow into a 500.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2199, 12, 31)


def clinic_tz() -> ZoneInfo:
    tz: ZoneInfo = current_app.config["INTAKE_TZ"]
    return tz


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(clinic_tz())


def clinic_today(now: dt.datetime | None = None) -> dt.date:
    return local(now or utcnow()).date()


def parse_day(text: str) -> dt.date | None:
    """Return the ISO date ``text`` names, or None if it is not one or lies outside the bounds."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the UTC instants where ``day`` starts and the next day starts, in the clinic.

    Built from local midnights, so a day with a daylight-saving change is 23
    or 25 hours long, as it is on the clinic's wall clock.
    """
    tz = clinic_tz()
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def when(moment: dt.datetime, style: Style = "staff") -> str:
    """Format a stored moment in the clinic's zone.

    - ``staff``: ``Tue 24 Nov 2026, 09:30`` (staff pages and prints);
    - ``patient``: ``Tuesday, November 24, 2026 at 9:30 AM`` (patient pages, in their language);
    - ``stamp``: ``2026-11-24 09:30 CET`` (the audit log and account pages);
    - ``time``: ``09:30``.
    """
    moment = local(moment)
    if style == "time":
        return moment.strftime("%H:%M")
    if style == "stamp":
        return moment.strftime("%Y-%m-%d %H:%M %Z")
    if style == "patient":
        return str(
            gettext(
                "%(date)s at %(time)s",
                date=_date(moment.date(), "full"),
                time=_time(moment.hour, moment.minute, "short", _locale()),
            )
        )
    return f"{_date(moment.date(), 'EEE d MMM y')}, {moment:%H:%M}"


def long_date(day: dt.date) -> str:
    return _date(day, "EEEE d MMMM y")


def short_date(day: dt.date) -> str:
    return _date(day, "d MMM y")


def _locale() -> str:
    return str(get_locale() or "en")


def _date(day: dt.date, pattern: str) -> str:
    return _date_in(day, pattern, _locale())


# Babel parses the locale's data and the pattern on every call: a tenth of a
# millisecond, a hundred times on a queue or day page (bench/README.md). The
# same few days, patterns and languages recur, so each text is made once.
@lru_cache(maxsize=4096)
def _date_in(day: dt.date, pattern: str, locale: str) -> str:
    return str(babel_dates.format_date(day, pattern, locale=locale))


@lru_cache(maxsize=4096)
def _time(hour: int, minute: int, pattern: str, locale: str) -> str:
    return str(babel_dates.format_time(dt.time(hour, minute), pattern, locale=locale))


def template_helpers() -> dict[str, object]:
    """Helpers every template gets (the app factory's context processor, once per page)."""
    tz = clinic_tz()
    return {
        "when": when,
        # when(moment, "time") with the zone looked up once per page, not
        # once per row of a list (the front desk's day shows 50).
        "clock": lambda moment: moment.astimezone(tz).strftime("%H:%M"),
        "long_date": long_date,
        "short_date": short_date,
        "local_day": lambda moment: local(moment).date(),
        "tz_name": str(tz),
    }


def is_iso_date(value: object) -> bool:
    """Whether ``value`` is a ``YYYY-MM-DD`` date a date input can hold."""
    if not isinstance(value, str):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == len("YYYY-MM-DD")
