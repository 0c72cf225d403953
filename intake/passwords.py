"""Staff passwords: argon2id hashing and the NIST SP 800-63B rev. 4 checks."""

from __future__ import annotations

import contextlib
import gzip
import re
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from flask import current_app

MIN_LENGTH = 15
MAX_LENGTH = 128
_REPEATED = re.compile(r"(.{1,8}?)\1+")
_SEQUENCES = tuple(
    run * 8 + run[::-1] * 8
    for run in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm")
)


class WeakPasswordError(ValueError):
    """The password breaks the policy; the message says how, in plain words."""


@cache
def _hasher(profile: str) -> PasswordHasher:
    if profile == "cheapest":
        return PasswordHasher.from_parameters(CHEAPEST)
    # OWASP's argon2id recommendation: 19 MiB, two passes, one lane.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hasher() -> PasswordHasher:
    return _hasher(current_app.config["INTAKE_PASSWORD_HASHING"])


@cache
def _blocklist() -> frozenset[str]:
    # Django's list of the 20,000 most common passwords (BSD licence).
    data = resources.files("intake.data").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def check_policy(password: str, email: str) -> None:
    """Raise :class:`WeakPasswordError` unless ``password`` may be used by ``email``."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"password must be at most {MAX_LENGTH} characters long")
    lowered = password.lower()
    if lowered in _blocklist() or lowered.strip() in _blocklist():
        raise WeakPasswordError("password is on the list of common or breached passwords")
    # Few common passwords reach 15 characters, so the common ways of stretching
    # one are refused too (NIST SP 800-63B: repetitive or sequential characters).
    repeated = _REPEATED.fullmatch(lowered)
    if repeated or len(set(lowered)) <= 3:
        raise WeakPasswordError("password must not be one short piece repeated")
    if any(lowered in run for run in _SEQUENCES):
        raise WeakPasswordError("password must not be a run of sequential characters")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 3 and local_part in lowered:
        raise WeakPasswordError("password must not contain the email address's name part")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with no hash, spend the same time on a dummy one."""
    if password_hash is None:
        password_hash = _dummy_hash(current_app.config["INTAKE_PASSWORD_HASHING"])
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher().verify(password_hash, password)
        return False
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(profile: str) -> str:
    return _hasher(profile).hash("an unknown account never matches this")
