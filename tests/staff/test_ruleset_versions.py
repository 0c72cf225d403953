"""An intake submitted under the first rule set still shows, prints and exports what was signed.

Every staff surface (review queue, intake page, front desk print, PDF, API)
uses the intake's own rule set: its question wording and its aftercare text,
whose hash still matches the stored one. Re-screening its stored answers with
its stored version gives its stored flags.
"""

from __future__ import annotations

import html
import io
import re
from http import HTTPStatus

import pytest
from pypdf import PdfReader

from intake.extensions import db
from intake.models import Intake, Role
from intake.screening import CURRENT, FIRST, ruleset
from intake.wording import signed_wording
from tests.conftest import make_appointment, make_user
from tests.earlier_sets import (
    FIRST_BREAKOUTS,
    FIRST_STEROID_QUESTION,
    first_set_answers,
    submit_under_first_set,
)
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")


def visible(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def old_intake():
    appointment, _token = make_appointment(first_name="Oldset")
    answers = first_set_answers(
        cancer_treatment="yes",
        cancer_treatment_details="prednisolone 40 mg for two weeks",
        cold_sore_history="yes",
        granuloma_history="yes",
    )
    submit_under_first_set(appointment.intake, answers, "Old Set Signer")
    return appointment, appointment.intake


def test_its_stored_answers_rescreened_with_its_stored_version_give_its_stored_flags(old_intake):
    _appointment, intake = old_intake
    db.session.expire_all()
    stored = db.session.get(Intake, intake.id)
    rs = ruleset(stored.ruleset_version)
    assert rs is FIRST
    assert [f.to_dict() for f in rs.screen(rs.known_answers(stored.answers))] == stored.flags
    # The set in force would screen the same patient differently (and could not
    # even read the retired ids): history is not rewritten by it.
    assert [f["code"] for f in stored.flags] == [
        "CANCER_TREATMENT",
        "COLD_SORE_HISTORY",
        "GRANULOMA_HISTORY",
    ]
    assert stored.flags[-1]["severity"] == "info"


def test_the_signed_wording_is_its_own_sets_and_its_hash_still_matches(old_intake):
    _appointment, intake = old_intake
    signed = signed_wording(intake.acknowledgment)
    assert signed.verified
    assert [code for code, _t, _x in signed.items] == list(FIRST.aftercare_codes)
    texts = {code: text for code, _t, text in signed.items}
    assert texts["BREAKOUTS"] == FIRST_BREAKOUTS
    assert intake.acknowledgment.text_hash == FIRST.aftercare_hash != CURRENT.aftercare_hash


def test_the_intake_page_shows_its_own_questions_flags_and_acknowledgment(client, old_intake):
    login_as(client, make_user(Role.CLINICIAN))
    _appointment, intake = old_intake
    response = client.get(f"/review/intakes/{intake.id}")
    assert response.status_code == HTTPStatus.OK
    page = visible(response)
    assert FIRST.version in page
    assert FIRST_STEROID_QUESTION in page  # the wording the patient answered
    assert "Your skin today" in page  # the first set's step
    assert "Questions no longer in the questionnaire" not in page
    assert "prednisolone 40 mg for two weeks" in page
    assert FIRST_BREAKOUTS in page
    assert "WHEN_TO_CALL" not in page and "When to call the clinic" not in page
    assert "has changed since this was signed" not in page
    assert FIRST.aftercare_hash in page
    # Citations by the keys on the rule, with readable labels: no "sic" key.
    assert "Vaghela D et al., 2021" in page
    assert "C9, sic, C10" not in page


def test_the_queue_shows_readable_citations_for_old_and_new_flags(client, old_intake):
    login_as(client, make_user(Role.CLINICIAN))
    make_submitted({"cold_sore_history": "yes", "vitiligo": "yes"}, first_name="Newset")
    response = client.get("/review/")
    raw = response.get_data(as_text=True)
    page = visible(response)
    assert page.count("Vaghela D et al., 2021, J Clin Aesthet Dermatol (supplement)") == 2
    assert "King M, 2017, J Clin Aesthet Dermatol" in page
    assert "sic" not in re.sub(r"<details.*?</details>", "", raw, flags=re.S)
    # The full reference and its strength are one click away, without JavaScript.
    details = re.search(
        r"<details class=\"citation\">\s*<summary>Vaghela D.*?</details>", raw, re.S
    )
    assert details is not None
    inside = html.unescape(details.group(0))
    assert "Guideline for the Management Herpes Simplex 1" in inside
    assert "expert-group guideline in a journal supplement (not a trial)" in inside
    assert "peer-reviewed" not in inside
    # An unverified source says so.
    assert "not verified here" in page


def test_the_front_desk_print_and_pdf_reprint_the_old_wording_with_its_hash(client, old_intake):
    login_as(client, make_user(Role.FRONT_DESK))
    appointment, intake = old_intake
    page = visible(client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment"))
    assert FIRST_BREAKOUTS in page
    assert "It matches the wording printed above, in English." in page
    assert "When to call the clinic" not in page
    assert FIRST.aftercare_hash in page
    pdf = client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment.pdf")
    assert pdf.status_code == HTTPStatus.OK
    reader = PdfReader(io.BytesIO(pdf.get_data()))
    text = " ".join("\n".join(p.extract_text() for p in reader.pages).split())
    assert FIRST_BREAKOUTS in text
    assert FIRST.aftercare_hash in text.replace(" ", "")
    assert intake.acknowledgment.signature_name in text


def test_the_api_exports_its_version_answers_and_stored_flags(client, old_intake):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, intake = old_intake
    body = client.get(f"/api/v1/appointments/{appointment.id}/intake").json
    assert body["ruleset"] == FIRST.version
    assert body["answers"]["cancer_treatment"] == "yes"
    assert [f["code"] for f in body["flags"]] == [f["code"] for f in intake.flags]
    assert all(set(f) == {"code", "severity", "title", "because", "source"} for f in body["flags"])
    assert body["acknowledgment"]["text_hash"] == FIRST.aftercare_hash


def test_a_new_intake_shows_when_to_call_with_the_clinics_phone_when_printed(client, app):
    login_as(client, make_user(Role.FRONT_DESK))
    appointment, intake = make_submitted()
    assert intake.ruleset_version == CURRENT.version
    phone = app.config["INTAKE_CLINIC_PHONE"]
    page = visible(client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment"))
    assert "When to call the clinic." in page
    assert f"The clinic's phone number: {phone}" in page
    assert "can make them worse" in page
    pdf = client.get(f"/frontdesk/appointments/{appointment.id}/acknowledgment.pdf")
    text = " ".join(
        "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_data())).pages).split()
    )
    assert "When to call the clinic" in text
    assert f"The clinic's phone number: {phone}" in text


def test_the_intake_page_gives_the_clinician_the_rules_reason(client):
    login_as(client, make_user(Role.CLINICIAN))
    _appointment, intake = make_submitted({"granuloma_history": "yes"})
    page = visible(client.get(f"/review/intakes/{intake.id}"))
    assert "Precaution" in page
    assert CURRENT.rules_by_code["GRANULOMA_HISTORY"].why in page
    assert "Friedmann DP et al., 2024, Dermatol Surg" in page


def test_answers_kept_from_an_earlier_set_are_shown_apart(client):
    login_as(client, make_user(Role.CLINICIAN))
    # Started under the first set, submitted under the one in force.
    _appointment, intake = make_submitted(
        {"cancer_treatment": "yes", "cancer_treatment_details": "finished in May"}
    )
    assert intake.ruleset_version == CURRENT.version
    assert intake.flags == []
    page = visible(client.get(f"/review/intakes/{intake.id}"))
    assert "Questions no longer in the questionnaire" in page
    assert "cancer_treatment yes finished in May" in page
