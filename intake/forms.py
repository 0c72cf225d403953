"""Pieces every feature's forms share."""

from __future__ import annotations


def strip(value: str | None) -> str | None:
    """WTForms filter: drop the spaces a phone keyboard or a paste adds around text."""
    return value.strip() if isinstance(value, str) else value
