"""Measure the production setup over HTTP, each page also as a share of a bare Flask route.

Starts what the README's third command starts (migrations, then gunicorn with
the repository's ``gunicorn.conf.py``) on a throwaway PostgreSQL database made
on the local server, with a private ``redis-server``; seeds 10,000 submitted
intakes and 200 appointments today; and drives it from a second process on
loopback with locust (headless, ``FastHttpUser``, closed loop, bounded in
time) at 1 and 8 users. In the same run, under the same gunicorn config, the
same generator drives a one-route "hello" Flask app (``bench/hello.py``):
every figure is also a ratio to it, which holds on a shared, noisy machine.

    .venv/bin/python -m bench.http                 # about 5 minutes
    .venv/bin/python -m bench.http --seconds 60    # longer runs per scenario

Prints a Markdown table (requests/s, share of the bare route, p50/p95/p99,
errors), the audit chain's advisory-lock waiters under the write scenarios,
and gunicorn worker memory (RSS) before and after at least 20,000 requests.
Everything it made (database, Redis, processes) is removed at the end.
"""

from __future__ import annotations

if not __package__:  # run as a script, this file would stand in for the standard "http"
    raise SystemExit("run it as a module, from the repository root: python -m bench.http")

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from cryptography.fernet import Fernet

from intake.serve import MALLOC_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("INTAKE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCENARIOS = ("hello", "healthz", "step_get", "step_post", "queue", "day")
LABELS = {
    "hello": 'bare "hello"',
    "healthz": "`/healthz`",
    "step_get": "patient step GET",
    "step_post": "patient step POST",
    "queue": "clinician queue",
    "day": "front-desk day",
}
MEMORY_REQUESTS = 20_000
# The memory run in parts, RSS read after each.
SOAK_PARTS = 3
STAFF_PASSWORD = "bench horse battery staple 42"  # noqa: S105 - a throwaway database's


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):  # noqa: S310
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    port = free_port()
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("bench/http.py needs redis-server on PATH")
    process = subprocess.Popen(  # noqa: S603
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    name = f"intake_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- Seeding -----------------------------------------------------------------

SEED_HISTORY = """
INSERT INTO appointments (first_name, last_name, date_of_birth, booking_key,
    first_name_key, last_name_key, starts_at, created_at)
SELECT 'Pat' || i, 'Surname' || i, DATE '1950-01-01' + (i * 7) % 20000,
       'hist-' || i, 'pat' || i, 'surname' || i,
       :first + (i / 14) * INTERVAL '1 day' + (i % 14) * INTERVAL '30 minutes', :first
FROM generate_series(1, :n) AS i;

-- Past appointments: decided or ready, one in 25 still waiting; the next two
-- months: every submitted stage, a third waiting for a clinician.
INSERT INTO intakes (appointment_id, status, answers, answer_links, flags, ruleset_version,
    started_at, submitted_at, updated_at)
SELECT a.id, s.status, CAST(:answers AS jsonb), '{}'::jsonb,
       CASE WHEN s.status IN ('ready', 'cleared') THEN '[]'::jsonb
            WHEN a.id % 2 = 0 THEN CAST(:contra AS jsonb)
            ELSE CAST(:precaution AS jsonb) END,
       :ruleset, a.starts_at - INTERVAL '2 days', a.starts_at - INTERVAL '2 days', a.starts_at
FROM appointments a
CROSS JOIN LATERAL (SELECT CASE
    WHEN a.starts_at < :now AND a.id % 50 = 0 THEN 'needs_review'
    WHEN a.starts_at < :now AND a.id % 50 = 1 THEN 'deferred'
    WHEN a.starts_at < :now THEN (ARRAY['ready', 'cleared', 'cleared', 'cleared_with_precautions',
        'not_suitable', 'ready'])[a.id % 6 + 1]
    ELSE (ARRAY['needs_review', 'ready', 'deferred', 'needs_review', 'ready', 'cleared'])
        [a.id % 6 + 1] END AS status) s
WHERE a.booking_key LIKE 'hist-%';

INSERT INTO intake_links (appointment_id, token_hash, created_at, failed_attempts)
SELECT id, md5('a' || id) || md5('b' || id), created_at, 0
FROM appointments WHERE booking_key LIKE 'hist-%';

INSERT INTO acknowledgments (intake_id, items, text_hash, signature_name, signed_at)
SELECT i.id, '[]'::jsonb, 'sha256:' || md5(i.id::text) || md5(i.id::text), 'Pat', i.submitted_at
FROM intakes i JOIN appointments a ON a.id = i.appointment_id
WHERE a.booking_key LIKE 'hist-%';

INSERT INTO decisions (intake_id, clinician_id, outcome, previous_status, note, decided_at)
SELECT i.id, :clinician, i.status, 'needs_review', 'Seen.', i.submitted_at + INTERVAL '1 hour'
FROM intakes i JOIN appointments a ON a.id = i.appointment_id
WHERE a.booking_key LIKE 'hist-%'
  AND i.status IN ('cleared', 'cleared_with_precautions', 'deferred', 'not_suitable');

INSERT INTO appointments (first_name, last_name, date_of_birth, booking_key,
    first_name_key, last_name_key, starts_at, created_at)
SELECT 'Day' || i, 'Patient' || i, DATE '1960-01-01' + i * 11, 'today-' || i,
       'day' || i, 'patient' || i, :day_start + i * INTERVAL '7 minutes', :first
FROM generate_series(0, :today - 1) AS i;

INSERT INTO intakes (appointment_id, status, answers, answer_links, flags, ruleset_version,
    started_at, submitted_at, updated_at)
SELECT a.id, s.status,
       CASE WHEN s.status = 'not_started' THEN '{}'::jsonb ELSE CAST(:answers AS jsonb) END,
       '{}'::jsonb,
       CASE WHEN s.status IN ('not_started', 'in_progress') THEN NULL
            WHEN s.status = 'needs_review' THEN CAST(:contra AS jsonb) ELSE '[]'::jsonb END,
       CASE WHEN s.status IN ('not_started', 'in_progress') THEN NULL ELSE :ruleset END,
       CASE WHEN s.status = 'not_started' THEN NULL ELSE a.created_at END,
       CASE WHEN s.status IN ('not_started', 'in_progress') THEN NULL ELSE a.created_at END,
       a.created_at
FROM appointments a
CROSS JOIN LATERAL (SELECT (ARRAY['not_started', 'in_progress', 'ready', 'needs_review'])
    [a.id % 4 + 1] AS status) s
WHERE a.booking_key LIKE 'today-%';

-- Two links each: an old one, replaced, and the current one.
INSERT INTO intake_links (appointment_id, token_hash, created_at, failed_attempts, revoked_at)
SELECT id, md5('c' || id) || md5('d' || id), created_at, 0, created_at
FROM appointments WHERE booking_key LIKE 'today-%';
INSERT INTO intake_links (appointment_id, token_hash, created_at, failed_attempts)
SELECT id, md5('e' || id) || md5('f' || id), created_at, 0
FROM appointments WHERE booking_key LIKE 'today-%';

INSERT INTO acknowledgments (intake_id, items, text_hash, signature_name, signed_at)
SELECT i.id, '[]'::jsonb, 'sha256:' || md5(i.id::text) || md5(i.id::text), 'Day', i.submitted_at
FROM intakes i JOIN appointments a ON a.id = i.appointment_id
WHERE a.booking_key LIKE 'today-%' AND i.submitted_at IS NOT NULL;

ANALYZE;
"""


def seed(intakes: int, today: int, patients: int) -> dict[str, Any]:
    """Fill the database named by the environment; return what the virtual users need."""
    from intake import create_app
    from intake.appointments import book, parse_booking
    from intake.extensions import db
    from intake.models import Role, utcnow
    from intake.screening import CURRENT, STEPS
    from intake.users import create_user

    app = create_app()
    tz = app.config["INTAKE_TZ"]
    answers = {q.id: "no" for q in CURRENT.questions}
    flag = {"because": ["active_acne"], "source": "article"}
    contra = [
        flag | {"code": "ACTIVE_ACNE", "severity": "contraindication", "title": "Active acne"}
    ]
    precaution = [
        {"code": "ACNE_PRONE", "severity": "precaution", "title": "Acne-prone"}
        | {"because": ["acne_prone"], "source": "article"}
    ]
    with app.app_context():
        clinician = create_user("clinician@bench.test", Role.CLINICIAN, STAFF_PASSWORD)
        create_user("desk@bench.test", Role.FRONT_DESK, STAFF_PASSWORD)
        db.session.flush()
        now = utcnow()
        local_today = now.astimezone(tz).date()
        day_start = dt.datetime.combine(local_today, dt.time(8), tz).astimezone(dt.UTC)
        params = {
            "first": now - dt.timedelta(days=intakes // 14 - 60),
            "now": now,
            "n": intakes,
            "today": today,
            "day_start": day_start,
            "answers": json.dumps(answers | {"active_acne": "yes"}),
            "contra": json.dumps(contra),
            "precaution": json.dumps(precaution),
            "ruleset": CURRENT.version,
            "clinician": clinician.id,
        }
        connection = db.session.connection()
        for statement in SEED_HISTORY.split(";\n"):
            if statement.strip():
                text = sa.text(statement)
                connection.execute(text, {k: v for k, v in params.items() if f":{k}" in statement})
        people = []
        at = (now + dt.timedelta(days=3)).astimezone(tz)
        for number in range(patients):
            dob = (dt.date(1970, 1, 1) + dt.timedelta(days=number * 13)).isoformat()
            values = {"first_name": f"Virtual{number}", "last_name": "User", "dob": dob}
            when = (at + dt.timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M")
            _, _, token = book(parse_booking(values | {"at": when}, tz=tz))
            people.append({"token": token, "dob": dob})
        db.session.commit()
        step = STEPS[0]
        ids = {q.id for q in CURRENT.questions_for_step(step.id)}
        return {
            "patients": people,
            "step": step.id,
            "answers": {k: v for k, v in answers.items() if k in ids},
            "clinician": {"email": "clinician@bench.test", "password": STAFF_PASSWORD},
            "front_desk": {"email": "desk@bench.test", "password": STAFF_PASSWORD},
        }


def settle(database_url: str) -> None:
    """Bring the freshly loaded database to a running clinic's steady state.

    The README's production setting for solid-state storage
    (``random_page_cost``), and a ``VACUUM ANALYZE``: autovacuum does it in
    time on a live database (index-only scans need the visibility map it
    writes), but not within a benchmark's minutes of a bulk load.
    """
    name = sa.make_url(database_url).database
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
    with psycopg.connect(PG_SERVER.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# -- Processes and measurements ---------------------------------------------------


def gunicorn(module: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [
            str(VENV_BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            module,
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def rss_of(master: int) -> dict[int, float]:
    """Return each worker's resident memory in MiB, by pid."""
    return {pid: rss_mib(pid) for pid in workers_of(master)}


def workers_of(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == master:
                    pids.append(int(entry.name))
    return sorted(pids)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class LockWaits(threading.Thread):
    """Samples how many backends wait on the audit chain's advisory lock, every 20 ms."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.samples: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
                    (self.database,),
                ).fetchone()
                self.samples.append(int(row[0]) if row else 0)
                time.sleep(0.02)


def locust(
    scenario: str, users: int, seconds: float, host: str, setup: dict[str, Any], out: Path
) -> dict[str, Any]:
    prefix = out / f"{scenario}-{users}"
    env = os.environ | {"BENCH_SCENARIO": scenario, "BENCH_SETUP": json.dumps(setup)}
    subprocess.run(  # noqa: S603
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "load" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            # Whole seconds: locust reads nothing finer.
            f"{max(round(seconds), 1)}s",
            "--host",
            host,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    rows = list(csv.DictReader((out / f"{prefix.name}_stats.csv").open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    row = next(r for r in rows if r["Name"] == scenario)
    return {
        "rps": float(row["Requests/s"]),
        "count": int(row["Request Count"]),
        "failures": int(total["Failure Count"]),
        "all_requests": int(total["Request Count"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
        "p99": float(row["99%"]),
    }


MIN_SECONDS = 3


def run_seconds(text: str) -> float:
    """``--seconds``: shorter than ``MIN_SECONDS``, locust may stop before a request is counted."""
    value = float(text)
    if value < MIN_SECONDS:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_SECONDS}")
    return value


def main() -> int:  # noqa: PLR0915 - one run, told in order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=run_seconds, default=12, help="run time per scenario and load"
    )
    parser.add_argument("--users", default="1,8", help="concurrent users, comma-separated")
    parser.add_argument("--intakes", type=int, default=10_000)
    parser.add_argument("--today", type=int, default=200)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--malloc-arenas",
        default="2",
        help="MALLOC_ARENA_MAX for gunicorn (glibc); empty: glibc's defaults "
        "(8 arenas per core, a sliding mmap threshold)",
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=300,
        help="at most this many seconds "
        "of extra load to reach 20,000 requests for the memory figure",
    )
    args = parser.parse_args()
    loads = [int(u) for u in args.users.split(",")]
    scenarios = [s for s in args.scenarios.split(",") if s]
    # Each patient run its own links, and the memory run after them.
    patients_needed = sum(loads) * 2 + max(loads)

    out = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with private_redis() as redis_url, throwaway_database() as database_url:
            app_port, hello_port = free_port(), free_port()
            env = os.environ | {
                "DATABASE_URL": database_url,
                "SECRET_KEY": secrets.token_urlsafe(32),
                "INTAKE_AUDIT_KEY": secrets.token_urlsafe(32),
                "INTAKE_TOTP_KEYS": Fernet.generate_key().decode(),
                "REDIS_URL": redis_url,
                "INTAKE_ENV": "production",
                "INTAKE_TRUSTED_PROXIES": "1",
                "INTAKE_BASE_URL": f"http://127.0.0.1:{app_port}",
                "INTAKE_AUDIT_CHECKPOINTS": str(out / "checkpoints.jsonl"),
            }
            if args.malloc_arenas:
                # What `python -m intake.serve` sets for gunicorn (README,
                # "Running in production"): two malloc arenas, and a fixed
                # mmap threshold so that sign-ins' Argon2 blocks are returned.
                env |= MALLOC_SETTINGS | {"MALLOC_ARENA_MAX": args.malloc_arenas}
            subprocess.run(  # noqa: S603
                [str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            os.environ.update(env)
            started = time.monotonic()
            setup = seed(args.intakes, args.today, patients_needed)
            settle(database_url)
            print(
                f"seeded {args.intakes:,} submitted intakes, {args.today} today "
                f"in {time.monotonic() - started:.0f} s",
                file=sys.stderr,
            )
            hello = gunicorn("bench.hello:app", hello_port, env, out / "hello.log")
            intake = gunicorn("wsgi:app", app_port, env, out / "intake.log")
            processes += [hello, intake]
            wait_for(f"http://127.0.0.1:{hello_port}/")
            wait_for(f"http://127.0.0.1:{app_port}/healthz")
            # One request to each worker's routes imports everything lazily
            # imported; the "before" memory is then that of a ready worker.
            for _ in range(8):
                urllib.request.urlopen(f"http://127.0.0.1:{app_port}/healthz").read()
            time.sleep(1)
            rss_before = rss_of(intake.pid)

            def host_of(scenario: str) -> str:
                return f"http://127.0.0.1:{hello_port if scenario == 'hello' else app_port}"

            results: dict[tuple[str, int], dict[str, Any]] = {}
            waits: dict[tuple[str, int], list[int]] = {}
            served = 0
            offset = 0
            # The bare route first and again last: the machine's load may
            # change during the run, and each page's share is taken against
            # the mean of the two.
            order = [*scenarios, "hello"] if "hello" in scenarios else scenarios
            for number, scenario in enumerate(order):
                for users in loads:
                    if number and scenario == "hello":
                        first = results[scenario, users]
                        again = locust(scenario, users, args.seconds, host_of(scenario), setup, out)
                        results[scenario, users] = first | {
                            "rps": (first["rps"] + again["rps"]) / 2,
                            "rps_first_last": (first["rps"], again["rps"]),
                        }
                        print(scenario, users, again, file=sys.stderr)
                        continue
                    sampler = LockWaits(sa.make_url(database_url).database or "")
                    sampler.start()
                    results[scenario, users] = locust(
                        scenario,
                        users,
                        args.seconds,
                        host_of(scenario),
                        setup | {"offset": offset},
                        out,
                    )
                    sampler.stop.set()
                    sampler.join()
                    waits[scenario, users] = sampler.samples
                    if scenario in {"step_get", "step_post"}:
                        offset += users
                    if scenario != "hello":
                        served += results[scenario, users]["all_requests"]
                    print(scenario, users, results[scenario, users], file=sys.stderr)
            # Enough further requests for the memory figure (patient pages,
            # the most common request), in parts, with the workers' RSS read
            # after each: "flat" is the last parts adding nothing.
            memory = [(0, rss_before), (served, rss_of(intake.pid))]
            if served < MEMORY_REQUESTS and args.soak > 0:
                rate = max(results.get(("step_get", max(loads)), {}).get("rps", 50.0), 1.0)
                seconds = min(args.soak, (MEMORY_REQUESTS - served) / rate * 1.15 + 3)
                for _ in range(SOAK_PARTS):
                    soak = locust(
                        "step_get",
                        max(loads),
                        seconds / SOAK_PARTS,
                        f"http://127.0.0.1:{app_port}",
                        setup | {"offset": offset},
                        out,
                    )
                    served += soak["all_requests"]
                    memory.append((served, rss_of(intake.pid)))
            report(results, waits, loads, memory, args)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=40)
        shutil.rmtree(out, ignore_errors=True)
    return 0


def report(
    results: dict[tuple[str, int], dict[str, Any]],
    waits: dict[tuple[str, int], list[int]],
    loads: list[int],
    memory: list[tuple[int, dict[int, float]]],
    args: argparse.Namespace,
) -> None:
    print(
        f"\n{dt.date.today()} · {os.cpu_count()} cores · {args.seconds:g} s per run · "
        f"{args.intakes:,} submitted intakes, {args.today} appointments today\n"
    )
    print("| page | users | req/s | share of bare | p50 / p95 / p99 ms | errors |")
    print("|---|---:|---:|---:|---|---:|")
    for (scenario, users), r in results.items():
        if "rps_first_last" in r:
            print(
                f"| {LABELS[scenario]} (first / last run) | {users} | "
                f"{r['rps_first_last'][0]:,.1f} / {r['rps_first_last'][1]:,.1f} | | | |"
            )
        bare = results.get(("hello", users), {}).get("rps")
        share = f"{r['rps'] / bare:.3f}" if bare else "-"
        print(
            f"| {LABELS[scenario]} | {users} | {r['rps']:,.1f} | {share} | "
            f"{r['p50']:g} / {r['p95']:g} / {r['p99']:g} | {r['failures']} |"
        )
    print("\nAudit chain advisory lock, backends waiting (sampled every 20 ms):\n")
    print("| page | users | samples with a waiter | mean waiters | max |")
    print("|---|---:|---:|---:|---:|")
    for (scenario, users), samples in waits.items():
        if scenario in {"hello", "healthz"} or not samples:
            continue
        busy = sum(1 for s in samples if s) / len(samples)
        print(
            f"| {LABELS[scenario]} | {users} | {busy:.0%} | "
            f"{statistics.mean(samples):.2f} | {max(samples)} |"
        )
    print("\nWorker RSS (MiB), after so many requests to the app:\n")
    print("| requests | " + " | ".join(f"worker {n + 1}" for n in range(len(memory[0][1]))) + " |")
    print("|---:|" + "---:|" * len(memory[0][1]))
    for served, rss in memory:
        print(f"| {served:,} | " + " | ".join(f"{v:.0f}" for v in rss.values()) + " |")
    del loads


if __name__ == "__main__":
    sys.exit(main())
