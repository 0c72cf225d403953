"""Configuration: defaults in code, then the environment (CONTRACT section 7)."""

from __future__ import annotations

import os
import secrets
import ssl
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULTS: dict[str, Any] = {
    "INTAKE_ENV": "development",
    "INTAKE_BASE_URL": "http://localhost:5000",
    "INTAKE_TIMEZONE": "UTC",
    "INTAKE_CLINIC_NAME": "Demo Skin Clinic",
    "INTAKE_CLINIC_PHONE": "+1 555 0100",
    # How long after the appointment's start an intake link still works.
    "INTAKE_LINK_GRACE_HOURS": 2,
    # Wrong dates of birth before a link locks.
    "INTAKE_MAX_DOB_ATTEMPTS": 5,
    # How long the patient's cookie lasts after the date of birth is confirmed.
    "INTAKE_PATIENT_SESSION_MINUTES": 60,
    "INTAKE_PATIENT_SESSION_MAX_HOURS": 8,
    # "owasp" (about 19 MiB, t=2, p=1) or "cheapest" (tests only).
    "INTAKE_PASSWORD_HASHING": "owasp",
    "INTAKE_REQUIRE_ADMIN_TOTP": False,
    # A second factor for every staff role (admins, clinicians, front desk).
    "INTAKE_REQUIRE_STAFF_TOTP": False,
    # Reverse proxies in front of the app (each adds X-Forwarded-*); 0: none.
    "INTAKE_TRUSTED_PROXIES": 0,
    # Staff sessions (auth/admin): idle and absolute limits.
    "INTAKE_STAFF_IDLE_MINUTES": 30,
    "INTAKE_STAFF_SESSION_HOURS": 12,
    # Failed sign-ins (password or code) for one email before 429, and the window.
    "INTAKE_SIGN_IN_MAX_FAILURES": 10,
    "INTAKE_SIGN_IN_WINDOW_SECONDS": 15 * 60,
    # Failed password sign-ins from one client address (any emails) in that window.
    "INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES": 50,
    # "10 within 15 minutes" means any 15 minutes, not clock-aligned blocks.
    "RATELIMIT_STRATEGY": "moving-window",
    # Redis down: route limits go on in this process's memory (Flask-Limiter);
    # the sign-in counts have their own fallback (intake.auth.throttle).
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # hide_parameters: statement parameters (answers, names, dates of birth)
    # never reach the engine's log or the text of a database error.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "RATELIMIT_HEADERS_ENABLED": True,
    "BABEL_DEFAULT_LOCALE": "en",
    # Request bodies above this get a 413 page (a whole step's details fit many times).
    "MAX_CONTENT_LENGTH": 256 * 1024,
    # Any one text field of a multipart body (werkzeug's default is 500 kB).
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    # A form's CSRF token lasts as long as the longest staff session (Flask-WTF's
    # default of one hour made a slow patient or clinician lose a page of input).
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,
    # Webhooks (intake.webhooks): attempts per delivery before giving up, the
    # first retry's delay (doubling each time, at most 6 hours), and the HTTP
    # timeout per attempt. ALLOW_LOOPBACK is for tests only.
    "INTAKE_WEBHOOKS_MAX_ATTEMPTS": 10,
    "INTAKE_WEBHOOKS_BACKOFF_SECONDS": 60,
    "INTAKE_WEBHOOKS_TIMEOUT_SECONDS": 10,
    "INTAKE_WEBHOOKS_ALLOW_LOOPBACK": False,
    "INTAKE_WEBHOOKS_CA_FILE": "",
    # Email (intake.mail): no SMTP host means sending is off.
    "INTAKE_SMTP_HOST": "",
    "INTAKE_SMTP_PORT": 587,
    "INTAKE_SMTP_USERNAME": "",
    "INTAKE_SMTP_PASSWORD": "",
    # "starttls" (port 587), "ssl" (implicit TLS, port 465) or "none" (a local relay).
    "INTAKE_SMTP_TLS": "starttls",
    "INTAKE_SMTP_TIMEOUT": 10,
    "INTAKE_MAIL_SENDER": "",
}

SMTP_TLS_MODES = ("starttls", "ssl", "none")


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Environment variable -> config key, with a converter for non-string values.
ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "INTAKE_ENV": ("INTAKE_ENV", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "INTAKE_AUDIT_KEY": ("INTAKE_AUDIT_KEY", str),
    "INTAKE_AUDIT_CHECKPOINTS": ("INTAKE_AUDIT_CHECKPOINTS", str),
    "INTAKE_BASE_URL": ("INTAKE_BASE_URL", str),
    "REDIS_URL": ("REDIS_URL", str),
    "INTAKE_TIMEZONE": ("INTAKE_TIMEZONE", str),
    "INTAKE_CLINIC_NAME": ("INTAKE_CLINIC_NAME", str),
    "INTAKE_CLINIC_PHONE": ("INTAKE_CLINIC_PHONE", str),
    "INTAKE_LINK_GRACE_HOURS": ("INTAKE_LINK_GRACE_HOURS", int),
    "INTAKE_MAX_DOB_ATTEMPTS": ("INTAKE_MAX_DOB_ATTEMPTS", int),
    "INTAKE_PATIENT_SESSION_MINUTES": ("INTAKE_PATIENT_SESSION_MINUTES", int),
    "INTAKE_PATIENT_SESSION_MAX_HOURS": ("INTAKE_PATIENT_SESSION_MAX_HOURS", int),
    "INTAKE_PASSWORD_HASHING": ("INTAKE_PASSWORD_HASHING", str),
    "INTAKE_REQUIRE_ADMIN_TOTP": ("INTAKE_REQUIRE_ADMIN_TOTP", _flag),
    "INTAKE_REQUIRE_STAFF_TOTP": ("INTAKE_REQUIRE_STAFF_TOTP", _flag),
    "INTAKE_TRUSTED_PROXIES": ("INTAKE_TRUSTED_PROXIES", int),
    "INTAKE_TOTP_KEYS": ("INTAKE_TOTP_KEYS", str),
    "INTAKE_STAFF_IDLE_MINUTES": ("INTAKE_STAFF_IDLE_MINUTES", int),
    "INTAKE_STAFF_SESSION_HOURS": ("INTAKE_STAFF_SESSION_HOURS", int),
    "INTAKE_SIGN_IN_MAX_FAILURES": ("INTAKE_SIGN_IN_MAX_FAILURES", int),
    "INTAKE_SIGN_IN_WINDOW_SECONDS": ("INTAKE_SIGN_IN_WINDOW_SECONDS", int),
    "INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES": ("INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES", int),
    "RATELIMIT_KEY_PREFIX": ("RATELIMIT_KEY_PREFIX", str),
    "INTAKE_COMMAND_LOG": ("INTAKE_COMMAND_LOG", str),
    "INTAKE_WEBHOOKS_MAX_ATTEMPTS": ("INTAKE_WEBHOOKS_MAX_ATTEMPTS", int),
    "INTAKE_WEBHOOKS_BACKOFF_SECONDS": ("INTAKE_WEBHOOKS_BACKOFF_SECONDS", int),
    "INTAKE_WEBHOOKS_TIMEOUT_SECONDS": ("INTAKE_WEBHOOKS_TIMEOUT_SECONDS", int),
    "INTAKE_WEBHOOKS_ALLOW_LOOPBACK": ("INTAKE_WEBHOOKS_ALLOW_LOOPBACK", _flag),
    "INTAKE_WEBHOOKS_CA_FILE": ("INTAKE_WEBHOOKS_CA_FILE", str),
    "INTAKE_SMTP_HOST": ("INTAKE_SMTP_HOST", str),
    "INTAKE_SMTP_PORT": ("INTAKE_SMTP_PORT", int),
    "INTAKE_SMTP_USERNAME": ("INTAKE_SMTP_USERNAME", str),
    "INTAKE_SMTP_PASSWORD": ("INTAKE_SMTP_PASSWORD", str),
    "INTAKE_SMTP_TLS": ("INTAKE_SMTP_TLS", str),
    "INTAKE_SMTP_TIMEOUT": ("INTAKE_SMTP_TIMEOUT", int),
    "INTAKE_MAIL_SENDER": ("INTAKE_MAIL_SENDER", str),
}


class ConfigError(RuntimeError):
    """The configuration cannot run the app; the message says what to set."""


def _session_cookie(config: dict[str, Any], overrides: dict[str, Any]) -> None:
    # Flask's own defaults already hold SESSION_COOKIE_SECURE=False, so
    # setdefault would never apply: only an explicit override keeps it.
    if "SESSION_COOKIE_SECURE" not in overrides:
        config["SESSION_COOKIE_SECURE"] = config["INTAKE_ENV"] != "development"
    # A Secure cookie gets the __Host- prefix: browsers then accept it only
    # over HTTPS, for this exact host and path /, so no sibling subdomain can
    # set or overwrite it (ASVS 5.0 3.3.1). Plain HTTP in development cannot.
    if config["SESSION_COOKIE_SECURE"] and "SESSION_COOKIE_NAME" not in overrides:
        config["SESSION_COOKIE_NAME"] = "__Host-session"


def load(config: dict[str, Any], instance_path: Path, overrides: dict[str, Any] | None) -> None:
    """Fill ``config`` from defaults, the environment and ``overrides``, then check it."""
    config.update(DEFAULTS)
    for env_name, (key, convert) in ENVIRONMENT.items():
        value = os.environ.get(env_name)
        if value:
            config[key] = convert(value)
    if overrides:
        config.update(overrides)
    # Links built with the default address work only on this machine: say so.
    config["INTAKE_BASE_URL_IS_DEFAULT"] = not (
        os.environ.get("INTAKE_BASE_URL") or (overrides or {}).get("INTAKE_BASE_URL")
    )

    production = config["INTAKE_ENV"] == "production"
    if not config.get("SECRET_KEY"):
        if production:
            raise ConfigError("SECRET_KEY must be set when INTAKE_ENV=production")
        config["SECRET_KEY"] = _development_secret(instance_path)
    # The audit key is separate from SECRET_KEY so that rotating the session
    # key does not break the audit chain, and so that every process that can
    # sign cookies is not thereby able to rewrite the audit log's hashes.
    if not config.get("INTAKE_AUDIT_KEY"):
        if production:
            raise ConfigError("INTAKE_AUDIT_KEY must be set when INTAKE_ENV=production")
        config["INTAKE_AUDIT_KEY"] = _development_secret(instance_path, "audit_key")
    if production and config["INTAKE_AUDIT_KEY"] == config["SECRET_KEY"]:
        raise ConfigError("INTAKE_AUDIT_KEY must differ from SECRET_KEY")
    _load_totp_keys(config, instance_path, production=production)
    _check_webhooks(config, production=production)
    if config["INTAKE_TRUSTED_PROXIES"] < 0:
        raise ConfigError("INTAKE_TRUSTED_PROXIES must be 0 or more")
    config.setdefault("INTAKE_AUDIT_CHECKPOINTS", str(instance_path / "audit-checkpoints.jsonl"))
    # One JSON line per flask command (intake.request_log); "-" is stderr.
    config.setdefault("INTAKE_COMMAND_LOG", str(instance_path / "commands.log"))
    config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance_path / 'intake.sqlite3'}")
    # Kept whatever engine options an override brings (a copy: DEFAULTS is shared).
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **config["SQLALCHEMY_ENGINE_OPTIONS"],
        "hide_parameters": True,
    }
    config["INTAKE_BASE_URL"] = config["INTAKE_BASE_URL"].rstrip("/")
    _session_cookie(config, overrides or {})
    config.setdefault("RATELIMIT_STORAGE_URI", config.get("REDIS_URL") or "intake-memory://")
    # limits' own memory:// storage is not thread-safe (intake.ratelimit_storage).
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        config["RATELIMIT_STORAGE_URI"] = "intake-" + config["RATELIMIT_STORAGE_URI"]
    _mail(config)
    try:
        config["INTAKE_TZ"] = ZoneInfo(config["INTAKE_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"INTAKE_TIMEZONE={config['INTAKE_TIMEZONE']!r} is not an IANA time zone"
        ) from exc


def _check_webhooks(config: dict[str, Any], *, production: bool) -> None:
    if config["INTAKE_WEBHOOKS_MAX_ATTEMPTS"] < 1:
        raise ConfigError("INTAKE_WEBHOOKS_MAX_ATTEMPTS must be 1 or more")
    if production and config["INTAKE_WEBHOOKS_ALLOW_LOOPBACK"]:
        raise ConfigError("INTAKE_WEBHOOKS_ALLOW_LOOPBACK is for tests only, never production")
    ca_file = config["INTAKE_WEBHOOKS_CA_FILE"]
    if ca_file:
        try:
            ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"INTAKE_WEBHOOKS_CA_FILE must name a readable file of PEM certificates: "
                f"{ca_file} ({exc.strerror or exc})"
            ) from exc


def _development_secret(instance_path: Path, name: str = "secret_key") -> str:
    """Return a key kept in the instance folder, so restarts keep sessions (dev only)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / name
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _load_totp_keys(config: dict[str, Any], instance_path: Path, *, production: bool) -> None:
    """TOTP secrets are encrypted with the first key; each of them decrypts (README)."""
    if not config.get("INTAKE_TOTP_KEYS"):
        if production:
            raise ConfigError("INTAKE_TOTP_KEYS must be set when INTAKE_ENV=production")
        config["INTAKE_TOTP_KEYS"] = _development_fernet_key(instance_path)
    if not _fernet_keys_valid(config["INTAKE_TOTP_KEYS"]):
        raise ConfigError(
            "INTAKE_TOTP_KEYS must be comma-separated Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )


def _development_fernet_key(instance_path: Path) -> str:
    from cryptography.fernet import Fernet

    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / "totp_keys"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_keys_valid(keys: str) -> bool:
    from cryptography.fernet import Fernet

    parts = [key.strip() for key in keys.split(",") if key.strip()]
    try:
        for key in parts:
            Fernet(key.encode())
    except ValueError:
        return False
    return bool(parts)


def _mail(config: dict[str, Any]) -> None:
    """Give Flask-Mailman its settings from ours (README, "Email to patients")."""
    tls = str(config["INTAKE_SMTP_TLS"]).strip().lower()
    if tls not in SMTP_TLS_MODES:
        raise ConfigError("INTAKE_SMTP_TLS must be starttls, ssl or none")
    host = str(config["INTAKE_SMTP_HOST"]).strip()
    if host and not config["INTAKE_MAIL_SENDER"]:
        raise ConfigError("INTAKE_MAIL_SENDER must be set when INTAKE_SMTP_HOST is")
    config["INTAKE_MAIL_ENABLED"] = bool(host)
    config.update(
        # Always real SMTP: Flask-Mailman's default under TESTING keeps mail in memory.
        MAIL_BACKEND="smtp",
        MAIL_SERVER=host or "localhost",
        MAIL_PORT=int(config["INTAKE_SMTP_PORT"]),
        MAIL_USERNAME=config["INTAKE_SMTP_USERNAME"] or None,
        MAIL_PASSWORD=config["INTAKE_SMTP_PASSWORD"] or None,
        MAIL_USE_TLS=tls == "starttls",
        MAIL_USE_SSL=tls == "ssl",
        MAIL_TIMEOUT=int(config["INTAKE_SMTP_TIMEOUT"]),
        MAIL_DEFAULT_SENDER=config["INTAKE_MAIL_SENDER"] or None,
    )
