"""The aftercare expectations a patient acknowledges one by one (CONTRACT section 3)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from intake.screening.questions import N_


@dataclass(frozen=True, slots=True)
class AftercareItem:
    code: str
    title: str
    text: str

    @property
    def field(self) -> str:
        return f"ack_{self.code}"


AFTERCARE: tuple[AftercareItem, ...] = (
    AftercareItem(
        "REDNESS",
        N_("Redness"),
        N_(
            "Your skin will look red afterwards. Most of the redness settles within "
            "about a day; after a deeper treatment it can last a little longer. "
            "Keeping your skin moisturised helps it calm down sooner."
        ),
    ),
    AftercareItem(
        "ROUGHNESS",
        N_("Rough skin, swelling and bruising"),
        N_(
            "For a few days your skin may feel rough or different when you touch it. "
            "Some swelling or bruising can also happen."
        ),
    ),
    AftercareItem(
        "MARKS",
        N_("Small marks"),
        N_(
            "The treatment makes many tiny, controlled punctures, so you may see very "
            "small marks. They do not last: they fade as your skin heals."
        ),
    ),
    AftercareItem(
        "BREAKOUTS",
        N_("Breakouts"),
        N_(
            "Spots or breakouts can appear after treatment, more often if your skin "
            "is prone to acne."
        ),
    ),
    AftercareItem(
        "PINPOINT_BLEEDING",
        N_("Pinpoint bleeding"),
        N_(
            "Tiny spots of bleeding during the treatment are normal. A numbing cream "
            "is put on your skin first to make it more comfortable."
        ),
    ),
)

AFTERCARE_CODES: tuple[str, ...] = tuple(item.code for item in AFTERCARE)


def aftercare_text(items: Iterable[tuple[str, str, str]]) -> str:
    """Return the exact text a patient is shown, one ``CODE: title. text`` line per item.

    Callers pass the strings as displayed (translated, if the page was), so the
    hash records what this patient actually read.
    """
    return "\n".join(f"{code}: {title}. {text}" for code, title, text in items)


def text_hash(text: str) -> str:
    """Return ``sha256:<hex>`` of ``text`` encoded as UTF-8."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def aftercare_hash(items: Iterable[tuple[str, str, str]] | None = None) -> str:
    """Return the text hash of the aftercare items (the English wording by default)."""
    if items is None:
        items = ((i.code, i.title, i.text) for i in AFTERCARE)
    return text_hash(aftercare_text(items))
