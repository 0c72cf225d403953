"""The aftercare wording a patient reads and signs, and the one check of it.

The hash an acknowledgment stores is always the hash of the exact text the
patient was shown, in the language it was shown in. Staff pages check a
signed acknowledgment against the same text rendered again in each language
the app speaks, so a second language never makes a signed copy look altered.

The text is always that of the intake's own rule set (the one it was
submitted under), so an acknowledgment signed under an earlier set still
shows, prints and verifies as signed after the wording changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import force_locale, gettext

from intake.models import Acknowledgment
from intake.screening import CURRENT, RULESETS, RuleSet, aftercare_hash

# (code, title, text) exactly as displayed.
ShownItem = tuple[str, str, str]

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "es")


def aftercare_shown(rs: RuleSet = CURRENT) -> list[ShownItem]:
    """Return a rule set's aftercare items as a page in the current language shows them."""
    return [(item.code, gettext(item.title), gettext(item.text)) for item in rs.aftercare]


def hash_of(shown: Iterable[ShownItem]) -> str:
    """Return the text hash (``sha256:<hex>``) of the items as shown."""
    return aftercare_hash(list(shown))


@dataclass(frozen=True, slots=True)
class SignedWording:
    """What a patient signed: the items' wording when it can be shown as signed."""

    items: tuple[ShownItem, ...]
    # True when the stored hash is the hash of ``items``' full wording, i.e.
    # the text below is exactly what the patient was shown and signed.
    verified: bool
    locale: str | None


def signed_wording(acknowledgment: Acknowledgment) -> SignedWording:
    """Return the acknowledged items with the wording the patient read, when it can be proved.

    The wording is that of the intake's own rule set; when its version is not
    a published one (it always is), only the item codes are returned.
    """
    rs = RULESETS.get(acknowledgment.intake.ruleset_version or "")
    if rs is not None:
        for locale in SUPPORTED_LOCALES:
            with force_locale(locale):
                shown = aftercare_shown(rs)
            if hash_of(shown) == acknowledgment.text_hash:
                items = tuple(i for i in shown if i[0] in acknowledgment.items)
                return SignedWording(items, verified=True, locale=locale)
    order = [i.code for i in (rs or CURRENT).aftercare]
    codes = _in_display_order(acknowledgment.items, order)
    return SignedWording(tuple((c, "", "") for c in codes), verified=False, locale=None)


def _in_display_order(codes: Iterable[str], order: Sequence[str]) -> list[str]:
    rank = {code: i for i, code in enumerate(order)}
    return sorted(codes, key=lambda c: (rank.get(c, len(rank)), c))
