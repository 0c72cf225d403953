"""intake: pre-treatment screening for a skin clinic's microneedling appointments.

Importing the package does nothing: the app factory lives in :mod:`intake.app`
and is loaded on first use of ``intake.create_app``, so ``import intake.screening``
pulls in neither Flask nor SQLAlchemy and leaves logging as the caller set it.
``from intake import create_app`` (``wsgi.py``, the tests) and
``flask --app intake`` keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intake.app import create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from intake.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["create_app"]
