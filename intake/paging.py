"""Long lists on staff pages: the offset a pager link carries, and row links built once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, url_for

# Beyond this an offset is not a screen anyone pages to (a crafted URL).
MAX_OFFSET = 1_000_000


def offset_arg(name: str) -> int | None:
    """Return the offset named ``name`` in the query string, or None for the default screen.

    Only ASCII digits up to :data:`MAX_OFFSET` count: ``str.isdigit`` alone
    also accepts digits such as "²" that ``int`` refuses.
    """
    value = request.args.get(name, "")
    if value.isascii() and value.isdigit() and int(value) <= MAX_OFFSET:
        return int(value)
    return None


# Larger than any id, so it cannot also occur elsewhere in the URL.
_ID_MARK = 98765432109


def href_for(endpoint: str, argument: str = "appointment_id") -> Callable[[int], str]:
    """Return ``endpoint``'s URL for an id (its ``argument``), building the URL once.

    A list links every row to its page: ``url_for`` matches the URL map on
    every call, while the parts around the id are the same for every row.
    A template global.
    """
    values: dict[str, Any] = {argument: _ID_MARK}
    before, _, after = url_for(endpoint, **values).partition(str(_ID_MARK))
    return lambda row_id: f"{before}{int(row_id)}{after}"
