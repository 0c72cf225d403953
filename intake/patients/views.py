"""The patient's pages: the link, the questions, a review, the acknowledgment, a confirmation.

Only the link page carries the token. A correct date of birth binds this
browser to the intake and the link (see :mod:`intake.patients.services`) and
redirects to pages whose URLs carry nothing secret. Every successful POST
redirects (303); a POST with errors shows the form again with what was sent.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from intake import intakes
from intake.clock import when
from intake.errors import InputError
from intake.extensions import limiter
from intake.links import find_link
from intake.models import IntakeLink
from intake.patients import services
from intake.patients.forms import STEP_FORMS, AftercareForm, DateOfBirthForm, LanguageForm
from intake.patients.services import (
    PatientAccessError,
    Refusal,
    current_patient,
)
from intake.screening import CURRENT
from intake.wording import (
    LOCALE_SESSION_KEY,
    SUPPORTED_LOCALES,
    aftercare_shown,
    hash_of,
    shown_locale,
    signed_wording,
)

bp = Blueprint("patients", __name__)

# Per client address, shared by every process through the limiter's storage
# (Redis when REDIS_URL is set). Generous enough for a clinic tablet that many
# patients use from one address; far too few to guess dates of birth.
LINK_PAGE_LIMIT = "30 per minute; 300 per hour"
DATE_OF_BIRTH_LIMIT = "10 per minute; 60 per hour"

# Patients who have not submitted always answer the rule set in force.
STEPS = CURRENT.steps
STEP_IDS = CURRENT.step_ids()
# The question steps, then "check your answers", then the acknowledgment.
TOTAL_PARTS = len(STEPS) + 2

REFUSAL_STATUS = {
    Refusal.UNKNOWN: HTTPStatus.NOT_FOUND,
    Refusal.EXPIRED: HTTPStatus.GONE,
    Refusal.REVOKED: HTTPStatus.GONE,
    Refusal.LOCKED: HTTPStatus.LOCKED,
    Refusal.CANCELLED: HTTPStatus.GONE,
    Refusal.NO_SESSION: HTTPStatus.FORBIDDEN,
}


@bp.errorhandler(PatientAccessError)
def refused(error: PatientAccessError) -> ResponseReturnValue:
    status = REFUSAL_STATUS[error.refusal]
    return render_template("patients/notice.html", refusal=error.refusal.value), status


def see_other(endpoint: str, step_id: str | None = None) -> ResponseReturnValue:
    url = url_for(endpoint, step_id=step_id) if step_id else url_for(endpoint)
    return redirect(url, code=HTTPStatus.SEE_OTHER)


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit(LINK_PAGE_LIMIT)
@limiter.limit(DATE_OF_BIRTH_LIMIT, methods=["POST"])
def link(token: str) -> ResponseReturnValue:
    """Ask for the date of birth; on a match, bind this browser and go on (no token after this).

    A GET changes nothing but an audit record: mail scanners open links too.
    """
    found = find_link(token)
    if found is None:
        raise PatientAccessError(Refusal.UNKNOWN)
    form = DateOfBirthForm()
    if form.is_submitted():
        return _check_date_of_birth(found, form)
    services.record_visit(found)
    services.check_link(found)
    if services.bound_to(found):
        # Reloading or reopening the link in this browser does not ask again.
        return see_other("patients.resume")
    return render_template("patients/identity.html", form=form)


def _check_date_of_birth(link: IntakeLink, form: DateOfBirthForm) -> ResponseReturnValue:
    services.check_link(link)
    if not form.validate():
        # A date that cannot be read (or a stale CSRF token) is not a wrong guess.
        return render_template("patients/identity.html", form=form)
    assert form.date_of_birth.data is not None  # validated
    result = services.confirm_identity(link.id, form.date_of_birth.data)
    if isinstance(result, services.WrongDate):
        if result.locked:
            raise PatientAccessError(Refusal.LOCKED)
        form.date_of_birth.fault()  # the whole date, not one box
        return render_template("patients/identity.html", form=form, wrong=result)
    services.bind(link, result)
    return see_other("patients.resume")


@bp.get("/intake/")
def resume() -> ResponseReturnValue:
    """Send the patient to where they left off."""
    patient = current_patient()
    if patient.submitted:
        return see_other("patients.done")
    step = intakes.first_unanswered_step(patient.answers)
    if step is None:
        return see_other("patients.review")
    return see_other("patients.step", step_id=step)


@bp.route("/intake/step/<step_id>", methods=["GET", "POST"])
def step(step_id: str) -> ResponseReturnValue:
    """One short group of yes/no questions; saved on the server when sent."""
    if step_id not in STEP_FORMS:
        abort(HTTPStatus.NOT_FOUND)
    patient = current_patient()
    if patient.submitted:
        return see_other("patients.done")
    # Only what was answered through this link fills the form.
    form_class = STEP_FORMS[step_id]
    form = form_class(data=patient.answers)
    index = STEP_IDS.index(step_id)
    if form.is_submitted():
        going_back = "back" in request.form
        valid = form.validate()
        # Whatever passed validation is kept, even when another answer is
        # missing or the patient goes back: nothing they entered is lost.
        values = form.answered()
        if values:
            try:
                intakes.save_step(
                    patient.intake.id, step_id, values, complete=valid, link_id=patient.link.id
                )
            except intakes.IntakeClosedError:  # submitted from another tab meanwhile
                return already_sent()
        if going_back:
            previous = STEP_IDS[index - 1] if index > 0 else step_id
            return see_other("patients.step", step_id=previous)
        if valid:
            return _after(index, patient.answers)
    return render_template(
        "patients/step.html",
        form=form,
        step=STEPS[index],
        questions=CURRENT.questions_for_step(step_id),
        part=index + 1,
        total=TOTAL_PARTS,
        first=index == 0,
        answered_before=intakes.answered_elsewhere(patient.intake, patient.link.id, step_id),
        draft_scope=services.draft_scope(patient),
    )


def _after(index: int, answers: dict[str, str]) -> ResponseReturnValue:
    """Where Continue leads from step ``index``.

    The next step, in order, even when it was answered before (a patient who
    went back expects to see it); after the last one, whatever is still
    unanswered, then the review.
    """
    if index + 1 < len(STEP_IDS):
        return see_other("patients.step", step_id=STEP_IDS[index + 1])
    following = intakes.first_unanswered_step(answers)
    if following is None:
        return see_other("patients.review")
    return see_other("patients.step", step_id=following)


@bp.get("/intake/check")
def review() -> ResponseReturnValue:
    """All answers on one page, with a way to change each step."""
    patient = current_patient()
    if patient.submitted:
        return see_other("patients.done")
    answers = patient.answers
    return render_template(
        "patients/review.html",
        steps=[(s, CURRENT.questions_for_step(s.id)) for s in STEPS],
        answers=answers,
        missing=intakes.first_unanswered_step(answers),
        part=len(STEPS) + 1,
        total=TOTAL_PARTS,
    )


@bp.route("/intake/aftercare", methods=["GET", "POST"])
def aftercare() -> ResponseReturnValue:
    """Acknowledge each aftercare expectation and sign with a typed name; submits the intake."""
    patient = current_patient()
    if patient.submitted:
        return see_other("patients.done")
    missing = intakes.first_unanswered_step(patient.answers)
    if missing is not None:
        return see_other("patients.step", step_id=missing)
    shown = aftercare_shown()
    form = AftercareForm()
    changed = False
    if form.validate_on_submit():
        try:
            intakes.submit(
                patient.intake.id,
                items=[code for code, _title, _text in shown],
                text_hash=form.text_hash.data,
                signature_name=form.signature_name.data,
                shown=shown,
                locale=shown_locale(),
                via_link=patient.link.id,
                keep_session=patient.session_id,
            )
        except InputError:
            # An answer went missing meanwhile (another tab, a new link): ask it.
            return see_other("patients.resume")
        except intakes.WordingChangedError:
            # The wording changed while the page was open: ask to read it again.
            changed = True
        except intakes.IntakeClosedError:
            return already_sent()
        else:
            # A second submission (double tap, two tabs) made nothing: the
            # first one stands. Both end on the same confirmation.
            return see_other("patients.done")
    form.text_hash.data = hash_of(shown)
    return render_template(
        "patients/aftercare.html",
        form=form,
        items=[(item, t, x) for item, (_c, t, x) in zip(CURRENT.aftercare, shown, strict=True)],
        changed=changed,
        draft_scope=services.draft_scope(patient),
        part=TOTAL_PARTS,
        total=TOTAL_PARTS,
    )


def already_sent() -> ResponseReturnValue:
    """A change that arrived after the submission: say so; nothing was changed."""
    return render_template("patients/notice.html", refusal="already_sent"), HTTPStatus.CONFLICT


@bp.get("/intake/done")
def done() -> ResponseReturnValue:
    """What happens next: the same words whatever the answers raised."""
    patient = current_patient()
    if not patient.submitted:
        return see_other("patients.resume")
    return render_template(
        "patients/done.html", when=when(patient.appointment.starts_at, "patient")
    )


@bp.get("/intake/copy")
def copy() -> ResponseReturnValue:
    """A printable copy of what the patient acknowledged."""
    patient = current_patient()
    acknowledgment = patient.intake.acknowledgment
    if acknowledgment is None:
        return see_other("patients.resume")
    services.record_copy_viewed(patient.intake)
    signed = signed_wording(acknowledgment)
    return render_template(
        "patients/copy.html",
        acknowledgment=acknowledgment,
        signed=when(acknowledgment.signed_at, "patient"),
        when=when(patient.appointment.starts_at, "patient"),
        items=signed.items,
        items_locale=signed.locale,
        same_wording=signed.verified,
        reference=reference(acknowledgment.text_hash),
    )


def reference(text_hash: str) -> str:
    """Return the wording hash as the patient's copy shows it: hex digits in groups of eight.

    ``sha256:`` means nothing to a patient; the groups read (and wrap on a
    phone) more easily, and the clinic still finds the whole hash in them.
    """
    digits = text_hash.removeprefix("sha256:")
    return " ".join(digits[i : i + 8] for i in range(0, len(digits), 8))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch the patient's pages to the chosen language and go back to the same page.

    Kept in the session (the signed cookie), so it sticks for this patient.
    Nothing else changes: answers are saved per step on the server, and
    choices not yet sent are kept by the page's script (static/js/patient.js).
    """
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in SUPPORTED_LOCALES:
        session[LOCALE_SESSION_KEY] = form.locale.data
    return redirect(_back_to(form.next.data), code=HTTPStatus.SEE_OTHER)


# The patient pages' own paths: the switch returns to the page it was on, and
# nowhere else (never "//host", a scheme or a staff page).
_PATIENT_PATH = re.compile(r"/(i/[A-Za-z0-9_-]{1,200}|intake/[a-z_/]{0,100})")


def _back_to(target: str | None) -> str:
    if target and _PATIENT_PATH.fullmatch(target):
        return target
    return url_for("patients.resume")


@bp.post("/intake/finish")
def finish() -> ResponseReturnValue:
    """Forget this browser's confirmation (a shared clinic tablet is handed back)."""
    services.finish()
    return see_other("patients.finished")


@bp.get("/intake/finished")
def finished() -> ResponseReturnValue:
    return render_template("patients/notice.html", refusal="finished")
