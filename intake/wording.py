"""The aftercare wording a patient reads and signs, and the one check of it.

The hash an acknowledgment stores is always the hash of the exact text the
patient was shown, in the language it was shown in, and the acknowledgment
stores that language. Staff pages check a signed acknowledgment against the
same text rendered again in that language (then in the set's others), so a
second language never makes a signed copy look altered.

Question and aftercare texts are the rule set's data, translations included
(:meth:`intake.screening.RuleSet.text`); everything else is in the gettext
catalogues.

The text is always that of the intake's own rule set (the one it was
submitted under), so an acknowledgment signed under an earlier set still
shows, prints and verifies as signed after the wording changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import get_locale

from intake.models import Acknowledgment
from intake.screening import CURRENT, RULESETS, SOURCE_LOCALE, RuleSet, aftercare_hash

# (code, title, text) exactly as displayed.
ShownItem = tuple[str, str, str]

# The languages patient pages speak; the set in force has a translation into each.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "es")
# Where a patient's choice of language is kept (Flask's signed session cookie).
LOCALE_SESSION_KEY = "locale"
# Each language named in English, for staff pages (the print, the PDF).
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Spanish"}


def current_locale() -> str:
    """Return the language of the page being rendered (English outside a request)."""
    locale = get_locale()
    return str(locale) if locale is not None else SOURCE_LOCALE


def patient_text(text: str, rs: RuleSet | None = None) -> str:
    """Return one of a rule set's patient texts in the page's language.

    The set in force by default; English when the set has no translation into
    that language (the first two sets, for intakes submitted under them).
    """
    return (rs or CURRENT).text(text, current_locale())


def aftercare_shown(rs: RuleSet = CURRENT, locale: str | None = None) -> list[ShownItem]:
    """Return a rule set's aftercare items as a page in ``locale`` (the page's) shows them."""
    return rs.aftercare_shown(locale or current_locale())


def shown_locale(rs: RuleSet = CURRENT, locale: str | None = None) -> str:
    """Return the language ``rs``'s aftercare is shown in on a page in ``locale``."""
    wanted = locale or current_locale()
    return wanted if rs.speaks(wanted) else SOURCE_LOCALE


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

    @property
    def language(self) -> str | None:
        """The language signed in, named in English (staff pages)."""
        return LANGUAGE_NAMES.get(self.locale or "", self.locale)


def signed_wording(acknowledgment: Acknowledgment) -> SignedWording:
    """Return the acknowledged items with the wording the patient read, when it can be proved.

    The wording is that of the intake's own rule set in the language stored
    with the acknowledgment (English for one signed before languages were
    stored); when its version is not a published one (it always is), only the
    item codes are returned.
    """
    rs = RULESETS.get(acknowledgment.intake.ruleset_version or "")
    if rs is not None:
        stored = acknowledgment.locale or SOURCE_LOCALE
        # The stored language first; then every other language the set
        # speaks, so the text is still found if the stored one were wrong.
        for locale in dict.fromkeys((stored, *rs.locales)):
            shown = rs.aftercare_shown(locale)
            if hash_of(shown) == acknowledgment.text_hash:
                items = tuple(i for i in shown if i[0] in acknowledgment.items)
                return SignedWording(items, verified=True, locale=locale)
    order = [i.code for i in (rs or CURRENT).aftercare]
    codes = _in_display_order(acknowledgment.items, order)
    return SignedWording(tuple((c, "", "") for c in codes), verified=False, locale=None)


def _in_display_order(codes: Iterable[str], order: Sequence[str]) -> list[str]:
    rank = {code: i for i, code in enumerate(order)}
    return sorted(codes, key=lambda c: (rank.get(c, len(rank)), c))
