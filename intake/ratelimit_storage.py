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
import threading
from collections.abc import Callable
from typing import Any

from limits.storage import MemoryStorage

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
