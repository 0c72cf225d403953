"""Start the production setup in one command: ``python -m intake.serve [GUNICORN OPTIONS]``.

Checks the environment (the same list ``gunicorn.conf.py`` checks), creates
the PostgreSQL database named in ``DATABASE_URL`` if it does not exist,
applies the migrations to it (``flask db upgrade``), compiles the
translations (``pybabel compile``: the ``.mo`` files are not committed), then replaces itself
with ``gunicorn -c gunicorn.conf.py wsgi:app`` (any options given are passed
on, e.g. ``--bind 0.0.0.0:8000``). Exit status 2 with one line on stderr when
something it needs is missing.

With ``INTAKE_MIGRATION_DATABASE_URL`` set, the database is created and
migrated through that URL (the role that owns the schema) and gunicorn serves
through ``DATABASE_URL`` (a role that owns nothing; README, "Running in
production").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# What a production process cannot start without. The app itself refuses to
# start in production without the three keys; it keeps working without Redis
# (one process at a time, CONTRACT section 7), but several gunicorn workers
# must share their rate limits and sign-in counts, so serving requires it.
REQUIRED = ("DATABASE_URL", "SECRET_KEY", "INTAKE_AUDIT_KEY", "INTAKE_TOTP_KEYS", "REDIS_URL")

ROOT = Path(__file__).resolve().parent.parent


class SetupError(RuntimeError):
    """Something the production setup needs is missing; the message says what."""


# glibc's malloc settings for the gunicorn processes (see main()).
MALLOC_SETTINGS = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072"}


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise :class:`SetupError` naming every required variable that is unset or empty."""
    missing = [name for name in REQUIRED if not environ.get(name)]
    if missing:
        raise SetupError(
            f"set {', '.join(missing)} before starting intake in production "
            "(README: the third command)"
        )
    for name in ("DATABASE_URL", "INTAKE_MIGRATION_DATABASE_URL"):
        url = environ.get(name)
        if url and not url.startswith("postgresql+psycopg://"):
            raise SetupError(
                f"{name} must be a PostgreSQL URL (postgresql+psycopg://user:password@host/name)"
            )


def create_database_if_missing(url: str) -> bool:
    """Create the database ``url`` names unless it exists; return whether it was made.

    Connects to the server's ``postgres`` database with the same role, which
    then needs ``CREATEDB`` (or create the database beforehand).
    """
    import psycopg
    import sqlalchemy as sa
    from psycopg import sql

    target = sa.make_url(url)
    name = target.database
    if not name:
        raise SetupError("DATABASE_URL names no database")
    maintenance = target.set(drivername="postgresql", database="postgres")
    dsn = maintenance.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def migrate(url: str) -> None:
    """Apply every migration to ``url`` (what ``flask --app wsgi db upgrade`` does)."""
    from flask_migrate import upgrade

    from intake import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()


def compile_translations() -> None:
    """Compile every ``.po`` catalogue to its ``.mo`` (what ``pybabel compile`` does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "intake" / "translations").glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as source:
            catalog = read_po(source)
        with po.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalog)


def gunicorn_command(options: Sequence[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--chdir",
        str(ROOT),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        *options,
        "wsgi:app",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    options = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("INTAKE_ENV", "production")
    try:
        check_environment(os.environ)
        database = os.environ.get("INTAKE_MIGRATION_DATABASE_URL") or os.environ["DATABASE_URL"]
        if create_database_if_missing(database):
            print("intake: created the database", file=sys.stderr)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as exc:
        print(f"error: cannot reach PostgreSQL ({type(exc).__name__})", file=sys.stderr)
        raise SystemExit(2) from None
    migrate(database)
    compile_translations()
    # glibc reads these at process start, so they are set for gunicorn here:
    # with two malloc arenas a threaded worker stays near 85 MiB instead of
    # growing to 140-180 MiB; with a fixed mmap threshold each sign-in's 19 MiB
    # Argon2 block goes back to the system when freed, where glibc's sliding
    # threshold would keep one per thread in the heap (bench/README.md).
    for name, value in MALLOC_SETTINGS.items():
        os.environ.setdefault(name, value)
    command = gunicorn_command(options)
    os.execv(command[0], command)  # noqa: S606 - replaces this process with gunicorn


if __name__ == "__main__":
    main()
