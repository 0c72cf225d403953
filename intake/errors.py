"""The errors services raise: each has a stable ``code`` that views and commands map to words.

A service says *what* went wrong with a code; the page, the API or the command
line says it in its own words (and language). Nothing matches on messages.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A state change was refused; ``code`` names why, ``field`` the input at fault (if any)."""

    code: str = "refused"

    def __init__(self, code: str | None = None, *, field: str | None = None) -> None:
        self.code = code or self.code
        self.field = field
        super().__init__(self.code)


class InputError(ServiceError):
    """The input is wrong; ``field`` names it and ``code`` says how (``"dob.future"``)."""

    code = "invalid"


class ConflictError(ServiceError):
    """The record is no longer in the state the change needs (someone else got there first)."""

    code = "conflict"


class NotFoundError(ServiceError):
    code = "not_found"
