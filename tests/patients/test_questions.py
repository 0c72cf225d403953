"""The question steps: saved as sent, resumed anywhere, nothing lost on a mistake."""

from __future__ import annotations

from http import HTTPStatus

import sqlalchemy as sa

from intake.extensions import db
from intake.models import Intake
from intake.screening import CURRENT, STEPS
from tests.conftest import all_no
from tests.patients.conftest import answer_steps, booked, confirm, step_values

AREA = [q.id for q in CURRENT.questions_for_step("area")]
# The question steps, "check your answers" and the acknowledgment.
PARTS = len(STEPS) + 2


def _answers(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(sa.select(Intake.answers)).scalar_one())


def test_each_step_shows_progress_labels_and_radio_pairs(app, client):
    _id, token = booked(app)
    confirm(client, token)
    for number, step in enumerate(STEPS, start=1):
        page = client.get(f"/intake/step/{step.id}").get_data(as_text=True)
        assert f"Step {number} of {PARTS}" in page
        for question in CURRENT.questions_for_step(step.id):
            for value in ("yes", "no"):
                assert f'id="{question.id}-{value}" name="{question.id}" value="{value}"' in page
                assert f'<label class="choice" for="{question.id}-{value}">' in page
            # Every question has its optional note box (the page invites one).
            assert f'<label for="{question.details_field}">' in page
            assert f'name="{question.details_field}"' in page


def test_steps_are_short_enough_for_a_phone_and_explain_the_area(app, client):
    _id, token = booked(app)
    confirm(client, token)
    assert all(len(CURRENT.questions_for_step(s.id)) <= 6 for s in STEPS)
    page = client.get("/intake/step/area").get_data(as_text=True)
    assert "means the skin the clinic will treat at this visit" in page


def test_the_patient_meets_the_steps_in_a_natural_order():
    # The skin to be treated first, then skin in general, health, medicines,
    # allergies and recent treatments.
    assert [s.id for s in STEPS] == [
        "area",
        "area_more",
        "skin",
        "health",
        "health_more",
        "medicines",
        "allergies",
        "treatments",
    ]


def test_each_step_is_saved_on_the_server_as_it_is_sent(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answers = all_no() | {"blood_thinners": "yes", "blood_thinners_details": "warfarin"}
    response = client.post("/intake/step/area", data=step_values("area", answers))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/intake/step/area_more"
    assert _answers(app) == step_values("area", answers)
    for step_id in ("area_more", "skin", "health", "health_more"):
        client.post(f"/intake/step/{step_id}", data=step_values(step_id, answers))
    response = client.post("/intake/step/medicines", data=step_values("medicines", answers))
    assert response.headers["Location"] == "/intake/step/allergies"
    saved = _answers(app)
    assert saved["blood_thinners"] == "yes"
    assert saved["blood_thinners_details"] == "warfarin"
    client.post("/intake/step/allergies", data=step_values("allergies", answers))
    response = client.post("/intake/step/treatments", data=step_values("treatments", answers))
    assert response.headers["Location"] == "/intake/check"


def test_a_closed_tab_resumes_at_the_first_unanswered_step_with_everything_kept(
    app, client, client_for
):
    _id, token = booked(app)
    confirm(client, token)
    answers = all_no() | {"acne_prone": "yes", "isotretinoin_now": "yes"}
    for step_id in ("area", "area_more", "skin", "health", "health_more"):
        client.post(f"/intake/step/{step_id}", data=step_values(step_id, answers))
    # Half of the medicines step, then the tab closes.
    client.post("/intake/step/medicines", data={"blood_thinners": "no", "isotretinoin_now": "yes"})

    phone = client_for()  # another device, or the same one a day later
    assert confirm(phone, token).headers["Location"] == "/intake/"
    response = phone.get("/intake/")
    assert response.headers["Location"] == "/intake/step/medicines"
    page = phone.get("/intake/step/medicines").get_data(as_text=True)
    assert 'id="blood_thinners-no" name="blood_thinners" value="no" checked' in page
    assert 'id="isotretinoin_now-yes" name="isotretinoin_now" value="yes" checked' in page
    assert 'id="steroid_medicine-yes" name="steroid_medicine" value="yes" required' in page
    skin = phone.get("/intake/step/skin").get_data(as_text=True)
    assert 'id="acne_prone-yes" name="acne_prone" value="yes" checked' in skin


def test_missing_answers_get_a_message_each_and_keep_the_others(app, client):
    _id, token = booked(app)
    confirm(client, token)
    given = {
        "active_acne": "no",
        "skin_problem_in_area": "yes",
        "skin_problem_in_area_details": "a small cut on my chin",
    }
    response = client.post("/intake/step/area", data=given)
    assert response.status_code == HTTPStatus.OK
    page = response.get_data(as_text=True)
    assert page.count('class="field-error"') == len(AREA) - 2
    assert "autofocus" in page and 'class="error-summary"' in page
    assert '<a href="#skin_condition_flare-yes">Question 3: Choose yes or no.</a>' in page
    assert 'aria-describedby="skin_condition_flare-error" aria-invalid="true"' in page
    assert 'id="skin_problem_in_area-yes" name="skin_problem_in_area" value="yes" checked' in page
    assert 'id="active_acne-no" name="active_acne" value="no" checked' in page
    assert "a small cut on my chin</textarea>" in page
    # What was given is also saved, so a lost connection now loses nothing.
    assert _answers(app) == given


def test_bad_values_and_overlong_details_are_refused_with_a_message(app, client):
    _id, token = booked(app)
    confirm(client, token)
    data = step_values("area", all_no()) | {
        "active_acne": "maybe",
        "skin_problem_in_area": "yes",
        "skin_problem_in_area_details": "x" * 1001,
    }
    response = client.post("/intake/step/area", data=data)
    assert response.status_code == HTTPStatus.OK
    page = response.get_data(as_text=True)
    assert "Question 1: Choose yes or no." in page
    assert "1000 characters or fewer" in page
    saved = _answers(app)
    assert "active_acne" not in saved
    assert saved["skin_problem_in_area"] == "yes"
    assert "skin_problem_in_area_details" not in saved


def test_details_are_dropped_when_the_answer_is_no(app, client):
    _id, token = booked(app)
    confirm(client, token)
    data = step_values("medicines", all_no()) | {"blood_thinners_details": "aspirin"}
    client.post("/intake/step/medicines", data=data)
    assert "blood_thinners_details" not in _answers(app)


def test_back_keeps_what_was_entered_and_goes_to_the_previous_step(app, client):
    _id, token = booked(app)
    confirm(client, token)
    response = client.post("/intake/step/health", data={"bleeding_disorder": "yes", "back": "1"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/intake/step/skin"
    assert _answers(app) == {"bleeding_disorder": "yes"}
    page = client.get("/intake/step/area").get_data(as_text=True)
    assert 'name="back"' not in page  # the first step has nowhere to go back to


def test_review_lists_every_answer_with_a_change_link(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answers = all_no() | {"numbing_allergy": "yes", "numbing_allergy_details": "itchy rash"}
    answer_steps(client, answers)
    page = client.get("/intake/check").get_data(as_text=True)
    assert f"Step {len(STEPS) + 1} of {PARTS}" in page
    assert "itchy rash" in page
    for step in STEPS:
        assert f'href="/intake/step/{step.id}"' in page
    assert 'href="/intake/aftercare"' in page


def test_review_points_to_unanswered_questions(app, client):
    _id, token = booked(app)
    confirm(client, token)
    client.post("/intake/step/area", data=step_values("area", all_no()))
    page = client.get("/intake/check").get_data(as_text=True)
    assert "Not answered yet" in page
    assert "Answer the remaining questions" in page
    assert 'href="/intake/aftercare"' not in page
    # The acknowledgment cannot be reached before every answer is in.
    response = client.get("/intake/aftercare")
    assert response.headers["Location"] == "/intake/step/area_more"


def test_unknown_step_is_404(app, client):
    _id, token = booked(app)
    confirm(client, token)
    assert client.get("/intake/step/nope").status_code == HTTPStatus.NOT_FOUND


def test_continue_after_going_back_leads_to_the_next_step_not_past_it(app, client):
    from intake.screening import CURRENT
    from tests.conftest import all_no
    from tests.patients.conftest import answer_steps, booked, confirm, step_values

    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    first, second = CURRENT.steps[0].id, CURRENT.steps[1].id
    response = client.post(f"/intake/step/{first}", data=step_values(first, all_no()))
    assert response.headers["Location"] == f"/intake/step/{second}"
    last = CURRENT.steps[-1].id
    response = client.post(f"/intake/step/{last}", data=step_values(last, all_no()))
    assert response.headers["Location"] == "/intake/check"
