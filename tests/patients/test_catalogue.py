"""Every message a patient can read has its Spanish translation, with the same placeholders.

"Patient-facing" is every msgid extracted from the files listed below: the
patient pages and the shared pieces they are built from, the error pages a
patient can reach, and the modules whose messages reach them (form errors,
the date-of-birth boxes, error sentences). templates/mail/ (patient emails) is
included when it exists. The questions and aftercare are the rule set's own
data (tests/screening/test_translations.py), not in the catalogue.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from intake.wording import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "intake" / "translations"

PATIENT_SOURCES: list[tuple[str, str]] = [
    ("intake/patients/**.py", "python"),
    ("intake/date_input.py", "python"),
    ("intake/bad_input.py", "python"),
    ("intake/forms.py", "python"),
    ("intake/app.py", "python"),
    ("intake/errors.py", "python"),
    ("intake/clock.py", "python"),
    ("templates/patients/**.html", "jinja2"),
    ("templates/errors/**.html", "jinja2"),
    ("templates/_clinic.html", "jinja2"),
    ("templates/_date_input.html", "jinja2"),
    ("templates/base.html", "jinja2"),
    ("templates/mail/**", "jinja2"),  # patient emails and the no-more-reminders page
    ("intake/mail/**.py", "python"),  # email subjects
]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
# %(name)s, %(num)d ... and a bare %s / %d.
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[sdf]")


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def patient_msgids() -> dict[str | tuple[str, ...], list[str]]:
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=PATIENT_SOURCES,
        keywords=KEYWORDS,
        strip_comment_tags=True,
        directory_filter=lambda d: (
            not Path(d).name.startswith(".")
            and Path(d).name not in {"node_modules", "__pycache__", "tests", "bench", "migrations"}
        ),
    ):
        key = message if isinstance(message, str) else tuple(m for m in message if m)
        found.setdefault(key, []).append(filename)
    return found


MSGIDS = patient_msgids()
TRANSLATED = [locale for locale in SUPPORTED_LOCALES if locale != "en"]


def catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def test_the_scope_finds_the_patient_pages_messages():
    assert len(MSGIDS) > 100
    assert "Save and continue" in MSGIDS
    assert "Enter your date of birth." in MSGIDS  # a form message (lazy_gettext)
    assert "Date of birth must be a real date" in MSGIDS  # the date-of-birth boxes
    assert "We could not find that page" in MSGIDS  # an error page


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_patient_message_has_a_translation_with_the_same_placeholders(locale):
    cat = catalogue(locale)
    problems: list[str] = []
    for msgid, files in MSGIDS.items():
        key = msgid if isinstance(msgid, str) else msgid[0]
        message = cat.get(key)
        where = ", ".join(sorted(set(files)))
        if message is None:
            problems.append(f"not in the {locale} catalogue: {msgid!r} ({where})")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where})")
        ids = [msgid] if isinstance(msgid, str) else list(msgid)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {msgid!r} ({where})")
            continue
        expected = placeholders(ids[-1])
        for string in strings:
            if placeholders(string) != expected:
                problems.append(f"placeholders differ: {msgid!r} -> {string!r}")
    assert problems == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_compiled_catalogue_is_there_and_current(locale):
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    compile_it = "run: .venv/bin/pybabel compile -d intake/translations"
    assert mo.exists(), compile_it
    assert mo.stat().st_mtime >= po.stat().st_mtime, f"messages.mo is stale; {compile_it}"
