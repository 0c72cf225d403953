"""Structured logs: one JSON line per request and one per CLI command.

A request's line names its request id (also sent back as ``X-Request-ID``),
the method, the route *pattern* (``/i/<token>``, never the path that holds
the token), the status, the duration in milliseconds and, for staff, the user
id. A command's line names the command (``users create``, never its
arguments, which can hold names and dates of birth), its exit status and its
duration. Every line, these and the libraries' alike, is written as JSON by
:class:`JsonFormatter` (python-json-logger) and passes the redaction filter
(:mod:`intake.log_redaction`) on the way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from intake import log_redaction

REQUEST_LOGGER = "intake.request"
COMMAND_LOGGER = "intake.command"
HEADER = "X-Request-ID"

# An incoming request id is kept only when it is what proxies send (nginx's
# $request_id is 32 hex digits, most others a UUID): hex digits and dashes, at
# most 64. Anything else (a name, a path, a line break) is replaced by our own,
# so a client cannot write what it likes into the log.
_SAFE_REQUEST_ID = re.compile(r"[0-9A-Fa-f-]{8,64}")

request_logger = logging.getLogger(REQUEST_LOGGER)
command_logger = logging.getLogger(COMMAND_LOGGER)


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: time, level, logger, message and the record's extras."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level"})
        kwargs.setdefault("json_ensure_ascii", True)
        super().__init__(*args, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        # ISO 8601 in UTC with milliseconds, whatever the host's zone.
        moment = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        return moment.isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        # The filter has cleaned the message and traceback; this catches a link
        # token in any extra field as well (a whole line, after serialising).
        return log_redaction.redact(super().format(record))


class RequestIdFilter(logging.Filter):
    """Give every record made while a request is served that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            request_id = g.get("request_id")
            if request_id:
                record.request_id = request_id
        return True


def request_id_from(header: str | None) -> str:
    """Return the incoming request id when it is a short safe token, else a new one."""
    if header and _SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(HEADER))


def _staff_user_id() -> int | None:
    # Only a user the request already loaded: patient pages never load one,
    # and logging must not add a query to them.
    # Its id from the identity map: after the commit the account's attributes
    # are expired, and reading ``user.id`` would load the row again.
    user = g.get("_login_user")
    state = sa.inspect(user, raiseerr=False) if user is not None else None
    identity = state.identity if state is not None else None
    return identity[0] if identity and isinstance(identity[0], int) else None


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a hook before ours answered; still one line
        _start()
        started = g.request_started
    response.headers[HEADER] = g.request_id
    rule = request.url_rule
    request_logger.info(
        "request",
        extra={
            "request_id": g.request_id,
            "method": request.method,
            # The pattern, never request.path: a patient link's path is its token.
            "route": rule.rule if rule is not None else None,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "user_id": _staff_user_id(),
        },
    )
    return response


def init_app(app: Flask) -> None:
    """Log each request; call first, so the timing covers every other hook and the commit."""
    # before_request hooks run in registration order, after_request hooks in
    # reverse: registered first, this line starts before and ends after the rest.
    app.before_request(_start)
    app.after_request(_finish)
    _log_this_command(app)


# -- Commands ------------------------------------------------------------------


def _exit_status(error: BaseException | None) -> int:
    if error is None:
        return 0
    if isinstance(error, click.exceptions.Exit):
        return error.exit_code
    if isinstance(error, click.ClickException):
        return error.exit_code
    if isinstance(error, SystemExit):
        code = error.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 1


def _command_name(ctx: click.Context) -> str | None:
    """Return the command's name path (``users create``), found among the known commands.

    Only names of registered commands are taken from the command line, never
    an argument or option value.
    """
    name = ctx.invoked_subcommand
    if name is None:
        return None
    parts = [name]
    group: Any = ctx.command
    command = group.get_command(ctx, name) if isinstance(group, click.Group) else None
    words = sys.argv[1:]
    position = words.index(name) + 1 if name in words else len(words)
    while isinstance(command, click.Group):
        sub = next(
            (
                (index, word)
                for index, word in enumerate(words[position:], start=position)
                if command.get_command(ctx, word) is not None
            ),
            None,
        )
        if sub is None:
            break
        position, word = sub[0] + 1, sub[1]
        parts.append(word)
        command = command.get_command(ctx, word)
    return " ".join(parts)


def _command_handler(app: Flask) -> logging.Handler:
    """Where command lines go: ``INTAKE_COMMAND_LOG`` (a file, or ``-`` for stderr)."""
    target = app.config["INTAKE_COMMAND_LOG"]
    handler: logging.Handler
    if target == "-":
        handler = logging.StreamHandler(sys.stderr)
    else:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    log_redaction.install([handler])
    return handler


def _log_this_command(app: Flask) -> None:
    """When the app is being built for a ``flask`` command, log that command when it ends."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:  # gunicorn, a test, an import: no command to log
        return
    root = ctx.find_root()
    if root.meta.get("intake.command_logged"):
        return
    root.meta["intake.command_logged"] = True

    @contextlib.contextmanager
    def timed() -> Iterator[None]:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            name = _command_name(root)
            if name is not None:
                _write_command_line(app, name, _exit_status(error), started)

    root.with_resource(timed())


def _write_command_line(app: Flask, name: str, status: int, started: float) -> None:
    handler = _command_handler(app)
    # Its own handler, not the root's: the contract gives a failing command
    # exactly one line on stderr, the one that names the problem.
    command_logger.propagate = False
    command_logger.setLevel(logging.INFO)
    command_logger.addHandler(handler)
    try:
        command_logger.info(
            "command",
            extra={
                "command": name,
                "exit_status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
    finally:
        command_logger.removeHandler(handler)
        handler.close()
