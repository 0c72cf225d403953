"""The patient's side: from the intake link to the signed acknowledgment."""

from __future__ import annotations

from intake.patients.views import bp

__all__ = ["bp"]
