"""Screens of a long list: the offset a pager link carries in its query string."""

from __future__ import annotations

from flask import request

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
