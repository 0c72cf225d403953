"""A thread-safe in-process rate-limit storage, used when no Redis is configured.

limits 5.8.0's ``MemoryStorage`` keeps one ``RLock`` per key in a
``defaultdict`` and drops it from ``get()``, ``clear()`` and its expiry timer
without holding it; the next caller then gets a *new* lock while another
thread is still inside the old one, and ``get_moving_window`` reads the
event lists with no lock at all. Under a threaded server (gunicorn
``--threads``, Werkzeug's dev server) two requests can then both pass a
limit that only one should. This storage takes one lock around every
operation, including the expiry timer's sweep: the counts are small and the
sign-in pages are not hot, so one lock costs nothing measurable.

Registered as ``intake-memory://`` (limits finds storages by their scheme);
``intake.config`` uses it for ``memory://`` too. With several processes, set
``REDIS_URL``: in-process counts are per process.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from limits.storage import MemoryStorage
from limits.strategies import RateLimiter

_LOCKED = (
    "incr",
    "decr",
    "get",
    "clear",
    "acquire_entry",
    "get_expiry",
    "get_moving_window",
    "acquire_sliding_window_entry",
    "get_sliding_window",
    "clear_sliding_window",
    "reset",
    "_MemoryStorage__expire_events",
)


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(self: LockedMemoryStorage, *args: Any, **kwargs: Any) -> Any:
        with self.big_lock:
            return method(self, *args, **kwargs)

    return run


class LockedMemoryStorage(MemoryStorage):
    """``MemoryStorage`` with every operation under one re-entrant lock."""

    STORAGE_SCHEME = ["intake-memory"]  # noqa: RUF012 - the base class's declaration

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self.big_lock = threading.RLock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("big_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.big_lock = threading.RLock()
        super().__setstate__(state)


for _name in _LOCKED:
    setattr(LockedMemoryStorage, _name, _serialised(getattr(MemoryStorage, _name)))


# -- When the shared storage (Redis) is down ---------------------------------------

logger = logging.getLogger("intake.ratelimit")

# While in fallback, how often the shared storage is tried again, in seconds.
RECHECK_SECONDS = 30.0


class StorageFallback:
    """Run rate-limit operations on the shared storage, or in process while it is down.

    For the counts that :mod:`intake.auth.throttle` keeps itself (Flask-Limiter's
    own ``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED`` covers the route limits, and
    only those). An operation the storage refuses with one of its connection
    errors is run on a per-process :class:`LockedMemoryStorage` instead, with
    the same strategy; the shared storage is tried again every
    :data:`RECHECK_SECONDS`. Entering the fallback is logged once (a warning
    with the word "fallback"), leaving it once, never per request.
    """

    def __init__(self, primary: RateLimiter) -> None:
        self.primary = primary
        self.storage = primary.storage
        self.local = type(primary)(LockedMemoryStorage())
        self._lock = threading.Lock()
        self._since: float | None = None

    def _in_fallback(self) -> bool:
        with self._lock:
            return self._since is not None and time.monotonic() - self._since < RECHECK_SECONDS

    def call(self, method: str, *args: Any) -> Any:
        """Return ``primary.<method>(*args)``, or the in-process limiter's answer."""
        if self._in_fallback():
            return getattr(self.local, method)(*args)
        try:
            result = getattr(self.primary, method)(*args)
        except self.storage.base_exceptions as exc:
            with self._lock:
                entering = self._since is None
                self._since = time.monotonic()
            if entering:
                logger.warning(
                    "rate-limit storage unreachable (%s): in-process fallback for "
                    "sign-in limits; failed sign-ins per account are counted in the "
                    "database too",
                    type(exc).__name__,
                )
            return getattr(self.local, method)(*args)
        with self._lock:
            leaving = self._since is not None
            self._since = None
        if leaving:
            logger.warning("rate-limit storage reachable again: shared counts resumed")
        return result
