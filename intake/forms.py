"""Pieces every feature's forms share."""

from __future__ import annotations

from flask_wtf import FlaskForm


def strip(value: str | None) -> str | None:
    """WTForms filter: drop the spaces a phone keyboard or a paste adds around text."""
    return value.strip() if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """A one-button POST (sign out, reissue a link): only the CSRF token."""
