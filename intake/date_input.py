"""A date of birth in three boxes (day, month, year), as GOV.UK's date-input pattern.

One field reads the boxes ``<name>-day``, ``<name>-month`` and ``<name>-year``
and, for scripts and the CONTRACT (section 6), a single ISO ``<name>`` value
(``YYYY-MM-DD``) instead. :func:`read_parts` is the pure check; the field
turns its codes into messages that name what is wrong ("Date of birth must
include a month") and remembers which boxes are at fault and what was typed,
so the page puts it back. Whether the date is plausible (in the past, not
before 1900, more than a year ago) is for the form or the service using it.

Rendered by the ``date_input`` macro in ``templates/_date_input.html``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

PARTS = ("day", "month", "year")
MAX_PART_LENGTH = {"day": 2, "month": 2, "year": 4}


@dataclass(frozen=True)
class Reading:
    """What the boxes said: a date, or a problem code and the boxes at fault."""

    date: dt.date | None
    problem: str | None = None  # "required", "missing", "year_digits", "real"
    at_fault: tuple[str, ...] = ()


def read_parts(day: str, month: str, year: str) -> Reading:
    """Read three typed boxes (spaces around them ignored) into a date or a problem."""
    values = {"day": day.strip(), "month": month.strip(), "year": year.strip()}
    missing = tuple(part for part in PARTS if not values[part])
    if missing:
        return Reading(None, "required" if len(missing) == len(PARTS) else "missing", missing)
    problem = _not_a_date(values)
    if problem is not None:
        return problem
    try:
        return Reading(dt.date(int(values["year"]), int(values["month"]), int(values["day"])))
    except ValueError:  # 31 February: the day is what is wrong
        return Reading(None, "real", ("day",))


def _not_a_date(values: Mapping[str, str]) -> Reading | None:
    not_numbers = tuple(
        part for part in PARTS if not (values[part].isascii() and values[part].isdigit())
    )
    if not_numbers:
        return Reading(None, "real", not_numbers)
    if len(values["year"]) != MAX_PART_LENGTH["year"]:
        return Reading(None, "year_digits", ("year",))
    if not 1 <= int(values["month"]) <= 12:
        return Reading(None, "real", ("month",))
    return None


def read_iso(text: str) -> Reading:
    """Read one ``YYYY-MM-DD`` value (the single-field form scripts send)."""
    text = text.strip()
    if not text:
        return Reading(None, "required", PARTS)
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        return Reading(None, "real", PARTS)
    if len(text) != len("YYYY-MM-DD"):
        return Reading(None, "real", PARTS)
    return Reading(value)


def _missing_message(missing: Sequence[str]) -> LazyString:
    # Whole sentences, one per case, so each language can word them its own way.
    messages = {
        ("day",): _l("Date of birth must include a day"),
        ("month",): _l("Date of birth must include a month"),
        ("year",): _l("Date of birth must include a year"),
        ("day", "month"): _l("Date of birth must include a day and month"),
        ("day", "year"): _l("Date of birth must include a day and year"),
        ("month", "year"): _l("Date of birth must include a month and year"),
    }
    return messages[tuple(missing)]


# WTForms ships no types, so Field is Any to mypy (as FlaskForm is for the forms).
class DateOfBirthField(Field):  # type: ignore[misc]
    """Three boxes (or one ISO value) in; ``data`` is a :class:`datetime.date` or None.

    ``required_message`` is what an empty date says (unless ``optional``) (the patient is asked
    about their own date, staff about the patient's). After processing,
    ``parts`` holds what was typed in each box, to be put back, and
    ``at_fault`` the boxes an error is about; ``id`` is the first box at
    fault (the first box when none is), so an error summary links to it.
    """

    def __init__(
        self,
        label: str | LazyString | None = None,
        validators: Sequence[Any] | None = None,
        *,
        required_message: str | LazyString | None = None,
        optional: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        # Optional: three empty boxes are no answer (``data`` None), not an error.
        self.optional = optional
        self.required_message = required_message or _l("Enter the date of birth")
        self.base_id: str = str(self.id)
        self.parts: dict[str, str] = dict.fromkeys(PARTS, "")
        self.at_fault: tuple[str, ...] = ()
        self.reading: Reading | None = None
        self.id: str = f"{self.base_id}-day"

    def process(
        self,
        formdata: Mapping[str, Any] | None,
        data: object = unset_value,
        extra_filters: Sequence[Any] | None = None,
    ) -> None:
        self.process_errors: list[str] = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data if isinstance(data, dt.date) else None
        if isinstance(self.data, dt.date):
            self.parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": f"{self.data.year:04d}",
            }
        self.reading = None
        if formdata is None:
            return
        boxes = {part: formdata.get(f"{self.name}-{part}") for part in PARTS}
        single = formdata.get(self.name)
        if any(isinstance(value, str) and value.strip() for value in boxes.values()) or (
            single is None and any(value is not None for value in boxes.values())
        ):
            typed = {part: str(boxes[part] or "")[:20] for part in PARTS}
            self.parts = {part: value.strip() for part, value in typed.items()}
            self.reading = read_parts(typed["day"], typed["month"], typed["year"])
        elif single is not None:
            self.reading = read_iso(str(single))
            self.parts = dict.fromkeys(PARTS, "")
        else:
            self.reading = Reading(None, "required", PARTS)
            self.parts = dict.fromkeys(PARTS, "")
        self.raw_data = [self.parts[part] for part in PARTS]
        self.data = self.reading.date
        if self.data is not None:
            # Shown back as the date it was read as (a single ISO value, too).
            self.parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": f"{self.data.year:04d}",
            }

    def pre_validate(self, form: Any) -> None:
        reading = self.reading
        if reading is None or reading.problem is None:
            return
        self.fault(reading.at_fault)
        if reading.problem == "required":
            if self.optional:
                self.at_fault = ()
                return
            raise StopValidation(str(self.required_message))
        if reading.problem == "missing":
            raise StopValidation(str(_missing_message(reading.at_fault)))
        if reading.problem == "year_digits":
            raise StopValidation(str(_l("Year must include 4 numbers")))
        raise StopValidation(str(_l("Date of birth must be a real date")))

    def fault(self, parts: Sequence[str] = PARTS) -> None:
        """Mark the boxes an error is about (all of them by default)."""
        self.at_fault = tuple(parts) or PARTS
        self.id = f"{self.base_id}-{self.at_fault[0]}"

    def fail(self, message: str | LazyString, parts: Sequence[str] = PARTS) -> None:
        """Give the field an error found outside it (a range check), about ``parts``."""
        self.fault(parts)
        self.errors = [str(message)]

    def _value(self) -> str:
        return self.data.isoformat() if isinstance(self.data, dt.date) else ""


def in_the_past_and_after_1900(form: Any, field: DateOfBirthField) -> None:
    """WTForms validator: a date of birth that could be someone's (the patient's page)."""
    value = field.data
    if value is None:
        return
    # A day of slack: "today" differs across time zones.
    latest = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    if value > latest:
        field.fault(("year",))
        raise StopValidation(str(_l("Date of birth must be in the past")))
    if value.year < EARLIEST_BIRTH_YEAR:
        field.fault(("year",))
        raise StopValidation(str(_l("Date of birth must be 1900 or later")))


EARLIEST_BIRTH_YEAR = 1900
