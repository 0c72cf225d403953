"""Clinician pages: the review queue, one intake, and recording a decision."""

from __future__ import annotations

import re
from http import HTTPStatus

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from markupsafe import Markup

from intake import clock, decisions
from intake.extensions import fragments
from intake.models import DECIDABLE, Intake, IntakeStatus
from intake.paging import offset_arg
from intake.review import services
from intake.review.forms import DecisionForm, outcome_hints, outcome_labels
from intake.users import current_staff
from intake.wording import signed_wording

bp = Blueprint("review", __name__, url_prefix="/review")

# The queue's tabs: key -> the statuses it lists.
TABS: dict[str, frozenset[IntakeStatus]] = {
    "needs_review": frozenset({IntakeStatus.NEEDS_REVIEW}),
    "deferred": frozenset({IntakeStatus.DEFERRED}),
    "ready": frozenset({IntakeStatus.READY}),
    "decided": frozenset(
        {
            IntakeStatus.CLEARED,
            IntakeStatus.CLEARED_WITH_PRECAUTIONS,
            IntakeStatus.NOT_SUITABLE,
        }
    ),
}


# Tabs whose intakes wait for a clinician: listed most serious first, and
# counted whenever their appointment is (the others list by time, and count
# from today on: they are history that only grows).
WAITING_TABS = ("needs_review", "deferred")
WAITING: frozenset[IntakeStatus] = frozenset().union(*(TABS[key] for key in WAITING_TABS))
# Tabs whose rows show the latest decision.
DECISION_TABS = ("deferred", "decided")


def tab_labels() -> dict[str, str]:
    return {
        "needs_review": gettext("Needs review"),
        "deferred": gettext("Deferred"),
        "ready": gettext("Ready (nothing to decide)"),
        "decided": gettext("Decided"),
    }


def status_labels() -> dict[str, str]:
    return {
        IntakeStatus.NOT_STARTED.value: gettext("Not started"),
        IntakeStatus.IN_PROGRESS.value: gettext("In progress"),
        IntakeStatus.READY.value: gettext("Ready"),
        IntakeStatus.NEEDS_REVIEW.value: gettext("Needs review"),
        IntakeStatus.CLEARED.value: gettext("Cleared"),
        IntakeStatus.CLEARED_WITH_PRECAUTIONS.value: gettext("Cleared with precautions"),
        IntakeStatus.DEFERRED.value: gettext("Deferred"),
        IntakeStatus.NOT_SUITABLE.value: gettext("Not suitable"),
    }


def severity_labels() -> dict[str, str]:
    return {
        "contraindication": gettext("Contraindication"),
        "precaution": gettext("Precaution"),
        "info": gettext("For information"),
    }


def tel_href(phone: str) -> str:
    """Return a ``tel:`` URI for a phone number as typed (digits and a leading +; RFC 3966)."""
    digits = re.sub(r"[^0-9]", "", phone)
    return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}"


@bp.context_processor
def helpers() -> dict[str, object]:
    return {
        "tel_href": tel_href,
        "status_labels": status_labels(),
        "severity_labels": severity_labels(),
        "outcome_labels": outcome_labels(),
    }


@bp.get("/")
def queue() -> ResponseReturnValue:
    """List intakes waiting for a clinician: contraindications, then precautions, soonest first."""
    tab = request.args.get("show", "needs_review")
    if tab not in TABS:
        tab = "needs_review"
    since, _ = clock.day_bounds(clock.clinic_today())
    by_risk = tab in WAITING_TABS
    upcoming, earlier = services.queue(
        TABS[tab],
        since=since,
        by_risk=by_risk,
        upcoming_offset=offset_arg("from") or 0,
        earlier_offset=offset_arg("earlier_from") or 0,
        with_decisions=tab in DECISION_TABS,
    )
    return render_template(
        "review/queue.html",
        tab=tab,
        tabs=tab_labels(),
        counts=services.tab_counts(TABS, waiting=WAITING, since=since),
        by_risk=by_risk,
        show_decisions=tab in DECISION_TABS,
        upcoming=upcoming,
        earlier=earlier,
        flag_lists=_flag_lists([*upcoming.entries, *earlier.entries]),
        # Translated once for the page, formatted on each row.
        submitted_label=gettext("Submitted %(when)s"),
    )


def _flag_lists(entries: list[services.QueueEntry]) -> dict[int, Markup]:
    """Return each row's flags explained, as HTML, by intake id.

    A submitted intake's flags, answers and rule set never change (submitting
    again is a new ``submitted_at``), so each row's HTML is made once per
    process and language and kept (``intake.extensions.fragments``, never
    Redis: it holds answers); only the rows not kept yet read their answers,
    in one statement.
    """
    locale = str(get_locale())
    keys = {e.intake_id: f"queue-flags/{e.intake_id}/{e.submitted_at}/{locale}" for e in entries}
    kept = fragments.get_dict(*keys.values()) if keys else {}
    html = {i: kept[key] for i, key in keys.items() if kept.get(key) is not None}
    missing = [i for i in keys if i not in html]
    if missing:
        cell = current_app.jinja_env.get_template("review/_flag_cell.html")
        labels = severity_labels()
        made = {
            i: Markup(cell.render(flags=flags, severity_labels=labels))  # noqa: S704 - Jinja's own autoescaped output
            for i, flags in services.explain_intakes(missing).items()
        }
        fragments.set_many({keys[i]: value for i, value in made.items()})
        html |= made
    return html


def _intake_or_404(intake_id: int) -> Intake:
    intake = services.submitted_intake(intake_id)
    if intake is None:
        abort(HTTPStatus.NOT_FOUND)
    return intake


@bp.get("/intakes/<int:intake_id>")
def intake(intake_id: int) -> ResponseReturnValue:
    """Show every answer, the flags raised at submission, the acknowledgment and decisions.

    :raise 404: no such intake, or not submitted yet.
    """
    record = _intake_or_404(intake_id)
    latest = decisions.latest(record.id)
    form = DecisionForm(
        formdata=None,
        seen_status=record.status.value,
        seen_decision=str(latest.id) if latest else "",
    )
    return _intake_page(record, form)


def _intake_page(
    record: Intake,
    form: DecisionForm,
    status: int = HTTPStatus.OK,
    refusal: decisions.DecisionRefusedError | None = None,
) -> ResponseReturnValue:
    services.record_view(record, current_staff().id)
    answers = record.answers or {}
    # The questionnaire as the patient saw it (the intake's own rule set), step
    # by step; ids that set does not ask (answers kept from an intake started
    # under an earlier set) are listed after it, so no stored answer is hidden.
    rs = services.ruleset_of(record)
    steps = rs.steps if rs else ()
    questions = rs.questions if rs else ()
    known = {q.id for q in questions}
    extra = sorted(k for k in answers if not k.endswith("_details") and k not in known)
    acknowledgment = record.acknowledgment
    return (
        render_template(
            "review/intake.html",
            intake=record,
            appointment=record.appointment,
            flags=services.explain_flags(record.flags, answers, rs),
            steps=steps,
            questions=questions,
            answers=answers,
            extra_answers=extra,
            acknowledgment=acknowledgment,
            new_link=services.finished_through_new_link(record),
            signed=signed_wording(acknowledgment) if acknowledgment is not None else None,
            decisions=list(reversed(record.decisions)),
            decidable=record.status in DECIDABLE,
            form=form,
            hints=outcome_hints(),
            refusal=refusal,
            conflict=isinstance(refusal, decisions.AlreadyDecidedError),
        ),
        status,
    )


@bp.post("/intakes/<int:intake_id>/decision")
def decide(intake_id: int) -> ResponseReturnValue:
    """Record a decision, unless the intake changed since the clinician opened it.

    :raise 404: no such intake, or not submitted yet.
    """
    record = _intake_or_404(intake_id)
    form = DecisionForm()
    if not form.validate():
        return _intake_page(record, form, HTTPStatus.BAD_REQUEST)
    try:
        seen_status = IntakeStatus(form.seen_status.data)
        seen_decision = int(form.seen_decision.data) if form.seen_decision.data else None
    except ValueError:
        abort(HTTPStatus.BAD_REQUEST)
    outcome = IntakeStatus(form.outcome.data)
    try:
        decisions.record(
            record.id,
            clinician_id=current_staff().id,
            outcome=outcome,
            note=form.note.data or "",
            seen_status=seen_status,
            seen_decision_id=seen_decision,
        )
    except decisions.DecisionRefusedError as refusal:
        # The typed note is kept; the form now carries what is current, so a
        # clinician who still wants to decide does so knowing what changed.
        form.seen_status.data = refusal.current.value
        form.seen_decision.data = str(refusal.latest.id) if refusal.latest else ""
        return _intake_page(record, form, HTTPStatus.CONFLICT, refusal)
    flash(
        gettext(
            "Decision recorded: %(outcome)s.",
            outcome=status_labels()[outcome.value],
        ),
        "success",
    )
    return redirect(url_for("review.queue"))
