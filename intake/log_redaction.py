"""Keep patient data out of every log line the app's libraries write.

Three libraries write what a request carried, whatever the log level:

- werkzeug's request log (``"GET /i/<token>?... HTTP/1.1" 200 -``): the link
  token in the path, names or a date of birth in a search's query string;
- Flask's exception log (``Exception on /i/<token> [POST]``, and the
  traceback);
- SQLAlchemy's engine log: statement parameters (hidden at the source by
  ``hide_parameters``, see :mod:`intake.config`) and, at DEBUG, every row read
  (names, dates of birth, answers).

:class:`RedactFilter` sits on those loggers (a logger's filters see every
record it creates, before any handler, the test's or an operator's) and on
the factory's own handler. It cuts ``/i/<token>`` to ``/i/[redacted]``, a
logged request's query string to ``?[redacted]``, and a row's values to
``[redacted]``. The app's own messages carry ids and codes only.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# The token is everything after /i/ up to the end of the path segment.
_LINK = re.compile(r"/i/[^\s/?#\"'<>]+")
# A request line's query string: from "?" to the next space or quote.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
_REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")
_ROW_MESSAGE = "Row %r"

# The loggers that write request URLs or query results (the app's logger,
# "intake", is the one Flask's exception log writes to).
LOGGERS = ("werkzeug", "intake", "flask.app", "sqlalchemy.engine.Engine", "gunicorn.access")


def redact(text: str, *, query: bool = False) -> str:
    """Return ``text`` with link tokens (and, with ``query``, query strings) cut out."""
    text = _LINK.sub(f"/i/{REDACTED}", text)
    if query:
        text = _QUERY.sub(rf"\1?{REDACTED}", text)
    return text


class RedactFilter(logging.Filter):
    """Rewrite a record so that its message and traceback hold no token, query or row."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("sqlalchemy.engine") and record.msg == _ROW_MESSAGE:
            record.args = (REDACTED,)
            return True
        query = record.name.startswith(_REQUEST_LOGGERS)
        message = record.getMessage()
        cleaned = redact(message, query=query)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            # Formatted here, so every handler's formatter uses this text
            # (logging.Formatter reuses exc_text) rather than its own.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, query=True)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, query=True)
        return True


_FILTER = RedactFilter()


def install(handlers: list[logging.Handler] | None = None) -> None:
    """Put the filter on :data:`LOGGERS` and on ``handlers`` (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in handlers or ():
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
