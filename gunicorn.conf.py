"""gunicorn settings for running intake in production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every process is stateless (sessions are signed cookies checked against the
database, rate limits live in Redis, everything else is in PostgreSQL), so
any number of these can run on one database and one Redis. The README's third
command (`python -m intake.serve`) creates the database, migrates it and
starts this.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from intake.serve import SetupError, check_environment

# What a production process cannot run without (intake.serve.REQUIRED):
# DATABASE_URL, SECRET_KEY, INTAKE_AUDIT_KEY, INTAKE_TOTP_KEYS and REDIS_URL.
os.environ.setdefault("INTAKE_ENV", "production")
try:
    check_environment(os.environ)
except SetupError as _error:
    sys.exit(f"gunicorn.conf.py: {_error}")

bind = os.environ.get("INTAKE_BIND", "127.0.0.1:8000")

# Workers and threads. A request spends most of its time rendering (CPU,
# under the GIL) and some waiting on PostgreSQL and Redis. One worker per core
# keeps every core busy with Python; a few threads per worker fill the waits
# without the memory of more processes (each worker is ~75-150 MiB). On this
# 2-core machine: 2 workers x 4 threads, 8 requests in flight. Each thread may
# hold one database connection: mind PostgreSQL's max_connections when adding
# instances (workers x threads x instances, plus pool overflow).
# INTAKE_WORKERS / INTAKE_THREADS override.
workers = int(os.environ.get("INTAKE_WORKERS") or multiprocessing.cpu_count())
threads = int(os.environ.get("INTAKE_THREADS") or 4)
worker_class = "gthread"

# A request that takes 30 s is stuck: the worker is replaced. On SIGTERM (a
# deploy) a worker finishes the requests it holds for up to 30 s more.
timeout = 30
graceful_timeout = 30
keepalive = 5

# gunicorn's access log would write raw paths, and a patient link's path holds
# its token: it stays off. The app writes one JSON line per request itself
# (intake.request_log), with the route pattern instead of the path.
accesslog = None
errorlog = "-"
loglevel = "info"

# gunicorn's own lines (worker started, timeouts) as JSON too, through the same
# formatter and redaction filter as the app's. gunicorn merges this over its
# defaults key by key, so both of its handlers and loggers are named here.
# Setting a log config turns gunicorn's access log on whatever `accesslog`
# says, so its logger is silenced here as well.
logconfig_dict = {
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
    "formatters": {"json": {"()": "intake.request_log.JsonFormatter"}},
    "filters": {"redact": {"()": "intake.log_redaction.RedactFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        },
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        },
    },
}

# Each worker builds its own app: nothing (no database connection, no Redis
# connection) is shared across fork.
preload_app = False
