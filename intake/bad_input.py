"""Refuse malformed requests before any view reads them: a clear 4xx, never a 500.

No form or link of this app sends a NUL byte, bytes that are not UTF-8, a
file, a JSON value that is not text or a query string of kilobytes; a browser
never does either. When a request carries one anyway (a script, a fuzzer, a
broken proxy), it gets a plain 400 (or 414) page saying nothing was saved,
before a view, the rate limiter or the database sees it. PostgreSQL refuses
NUL in text, so without this check such a value became a 500 deep inside a
service. Oversized bodies are refused by werkzeug itself (``MAX_CONTENT_LENGTH``
and ``MAX_FORM_MEMORY_SIZE``, see :mod:`intake.config`) with a 413.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_babel import gettext
from werkzeug.exceptions import BadRequest, RequestURITooLarge

# Longer query strings are answered 414. The longest the app makes (the audit
# log's filters) is well under a hundred bytes; most servers stop at 4-8 KiB.
MAX_QUERY_BYTES = 8 * 1024

FORM_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BadInput(BadRequest):
    """A 400 whose ``description`` is the sentence the error page shows."""


def _unreadable() -> BadInput:
    return BadInput(
        gettext(
            "Part of what was sent is not text we can read (a control character or "
            "a broken encoding). Nothing was saved. Please go back, check what you "
            "typed and send it again."
        )
    )


def _undecodable(raw: bytes) -> bool:
    """Tell whether any name or value of a URL-encoded string is not UTF-8."""
    for pair in raw.split(b"&"):
        try:
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return True
    return False


def _has_nul(values: Iterable[tuple[str, str]]) -> bool:
    return any("\x00" in name or "\x00" in value for name, value in values)


def _check_json() -> None:
    """A JSON body (Flask-WTF reads it as the form) must be an object of strings."""
    data = request.get_json(silent=True)
    if data is None:
        if request.get_data(cache=True):
            raise BadInput(gettext("The JSON sent could not be read. Nothing was saved."))
        return
    if not isinstance(data, dict):
        raise BadInput(gettext("Send the fields as one JSON object. Nothing was saved."))
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise BadInput(
                gettext(
                    "Send each field's value as text (%(field)s is not). Nothing was saved.",
                    field=name[:100],
                )
            )
        if _has_nul((name, v) for v in values):
            raise _unreadable()


def check_request() -> None:
    """Answer 400/414 for input no page of this app can have sent (runs before everything)."""
    # PATH_INFO holds the path's bytes, already percent-decoded, as latin-1.
    path = request.environ.get("PATH_INFO", "")
    try:
        path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise _unreadable() from None
    if "\x00" in path:
        raise _unreadable()
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge(
            gettext("This address is too long. Please go back and use the page's own links.")
        )
    if _undecodable(request.query_string) or _has_nul(request.args.items(multi=True)):
        raise _unreadable()
    if request.method not in FORM_METHODS:
        return
    if request.mimetype == "application/x-www-form-urlencoded":
        # Cached, so the form parser reads the same bytes again afterwards.
        if _undecodable(request.get_data(cache=True)):
            raise _unreadable()
    elif request.is_json:
        _check_json()
        return
    if request.files:
        raise BadInput(
            gettext(
                "This page does not take files. Nothing was saved. Please go back and "
                "type your answer as text."
            )
        )
    if _has_nul(request.form.items(multi=True)):
        raise _unreadable()


def init_app(app: Flask) -> None:
    # First of all before_request functions: the CSRF check, the rate limiter's
    # key (the sign-in email) and the views all read the input after this.
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
