"""The clinic's phone number as every page, error and PDF shows it.

One number, written once in ``INTAKE_CLINIC_PHONE``; the templates show it
through the ``phone`` macro in ``templates/_clinic.html``, which uses the two
filters below. A number broken across two lines is easy to misdial, so its
spaces become no-break spaces (the element is ``white-space: nowrap`` too).
"""

from __future__ import annotations

from flask import Flask

NO_BREAK_SPACE = "\u00a0"


def unbroken(number: str) -> str:
    """Return ``number`` with each run of spaces as one no-break space."""
    return NO_BREAK_SPACE.join(number.split())


def tel_uri(number: str) -> str:
    """Return the ``tel:`` URI for ``number``: its digits, after a ``+`` if it starts with one.

    Spaces, dots, dashes and brackets are only for reading (RFC 3966 allows
    them as visual separators, but some phones refuse them in a link).
    """
    digits = "".join(char for char in number if char.isascii() and char.isdigit())
    plus = "+" if number.strip().startswith("+") else ""
    return f"tel:{plus}{digits}"


def init_app(app: Flask) -> None:
    app.add_template_filter(unbroken, "unbroken")
    app.add_template_filter(tel_uri, "tel_uri")
