"""gunicorn settings for running intake in production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every process is stateless (sessions are signed cookies checked against the
database, rate limits live in Redis, everything else is in PostgreSQL), so
any number of these can run on one database and one Redis.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

# What a production process cannot run without. The app checks SECRET_KEY,
# INTAKE_AUDIT_KEY and INTAKE_TOTP_KEYS itself (INTAKE_ENV=production); the
# app alone keeps working without Redis, one process at a time, but several
# gunicorn workers must share their rate limits and sign-in counts, so Redis
# is required here.
REQUIRED = ("SECRET_KEY", "INTAKE_AUDIT_KEY", "INTAKE_TOTP_KEYS", "REDIS_URL", "DATABASE_URL")
_missing = [name for name in REQUIRED if not os.environ.get(name)]
if _missing:
    sys.exit(f"gunicorn.conf.py: set {', '.join(_missing)} (see the README's third command)")
os.environ.setdefault("INTAKE_ENV", "production")

bind = os.environ.get("INTAKE_BIND", "127.0.0.1:8000")

# Workers and threads. A request spends most of its time rendering (CPU,
# under the GIL) and some waiting on PostgreSQL and Redis. One worker per core
# keeps every core busy with Python; a few threads per worker fill the waits
# without the memory of more processes. On this 2-core machine: 2 workers x 4
# threads (8 requests in flight). INTAKE_WORKERS / INTAKE_THREADS override.
workers = int(os.environ.get("INTAKE_WORKERS") or multiprocessing.cpu_count())
threads = int(os.environ.get("INTAKE_THREADS") or 4)
worker_class = "gthread"

# A request that takes 30 s is stuck: the worker is replaced. On SIGTERM (a
# deploy) a worker finishes the requests it holds for up to 30 s more.
timeout = 30
graceful_timeout = 30
keepalive = 5

# gunicorn's access log would write raw paths, and a patient link's path holds
# its token: it stays off. The app writes its own request lines without them.
accesslog = None
errorlog = "-"
loglevel = "info"

# Each worker builds its own app: nothing (no database connection) is shared
# across fork.
preload_app = False
