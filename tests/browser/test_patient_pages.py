"""Issue 13 on the patient's pages, in real Chromium at 390 px and 1280 px.

A step's unsent choices survive a reload and back/forward (kept in this tab's
sessionStorage, never with the link token, gone once sent and after the
confirmation); the patient's copy has a plain reference, a Print button, the
clinic's name and phone and prints cleanly; the phone never wraps. axe-core
checks every state at any impact.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from intake.screening import AFTERCARE, STEPS
from tests.browser.conftest import PHONE, assert_accessible, fill_date_of_birth, shoot
from tests.conftest import make_appointment

pytestmark = pytest.mark.browser

DOB = "1990-05-17"
CLINIC_PHONE = "+44 20 7946 0958"
DRAFTS = (
    "Object.keys(sessionStorage).filter(k => k.startsWith('intake-draft:'))"
    ".map(k => [k, sessionStorage.getItem(k)])"
)


@pytest.fixture
def app_config() -> dict[str, object]:
    return {
        "WTF_CSRF_ENABLED": True,
        "INTAKE_CLINIC_PHONE": CLINIC_PHONE,
        "INTAKE_CLINIC_NAME": "Riverside Skin Clinic",
    }


@pytest.fixture(params=["phone", "desktop"])
def page(request: pytest.FixtureRequest) -> Page:
    """The same test at 390 px (touch) and at 1280 px."""
    return request.getfixturevalue(f"{request.param}_page")  # type: ignore[no-any-return]


def axe_clean(page: Page, state: str) -> None:
    """axe at any impact, the Nu HTML checker and no sideways scroll, named by state."""
    assert_accessible(page, state, screenshot=False)


def book(app: Flask) -> str:
    with app.app_context():
        _appointment, token = make_appointment()
        return token


def open_intake(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/i/{token}")
    fill_date_of_birth(page, DOB)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/intake/step/{STEPS[0].id}")


def choose(page: Page, question: str, value: str) -> None:
    page.locator(f"label.choice:has(input[name='{question}'][value='{value}'])").click()


def question_names(page: Page) -> list[str]:
    """Return the step's questions (radio names), in order, without evaluating script."""
    names: list[str] = []
    for radio in page.locator("input[type=radio]").all():
        name = str(radio.get_attribute("name"))
        if name not in names:
            names.append(name)
    return names


def radios(page: Page) -> dict[str, str]:
    """Return each question's checked value on this step."""
    checked: dict[str, str] = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('input[type=radio]:checked')]"
        ".map(r => [r.name, r.value]))"
    )
    return checked


def save_and_continue(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()


def answer_rest_and_finish(page: Page) -> None:
    """From the current step: answer "no" to what is unanswered, sign, reach the confirmation."""
    while page.get_by_role("button", name="Save and continue").count():
        for name in question_names(page):
            if not page.locator(f"input[name='{name}']:checked").count():
                choose(page, name, "no")
        save_and_continue(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Continue").click()
    for item in AFTERCARE:
        page.get_by_role("checkbox", name=f"I have read and understand: {item.title}").check()
    page.get_by_label("Your full name").fill("Robin Example")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your answers have been sent"
    )


def test_a_reload_and_back_forward_keep_the_choices_not_yet_sent(app, live_server_url, page):
    token = book(app)
    open_intake(page, live_server_url, token)
    first, second = STEPS[0], STEPS[1]
    questions = question_names(page)
    choose(page, questions[0], "yes")
    choose(page, questions[-1], "no")
    chosen = radios(page)
    assert chosen == {questions[0]: "yes", questions[-1]: "no"}

    page.reload()
    assert radios(page) == chosen  # nothing was sent; the choices are still there
    drafts = page.evaluate(DRAFTS)
    assert len(drafts) == 1
    key, value = drafts[0]
    assert key.endswith(f":{first.id}")
    assert token not in key and token not in value
    axe_clean(page, "step after reload")

    for name in questions:
        choose(page, name, "no")
    save_and_continue(page)
    page.wait_for_url(f"{live_server_url}/intake/step/{second.id}")
    assert page.evaluate(DRAFTS) == []  # sent: the draft of the step is gone

    # Back and forward: the next step's unsent choice comes back.
    second_questions = question_names(page)
    choose(page, second_questions[0], "yes")
    page.go_back(wait_until="load")
    page.wait_for_url(f"{live_server_url}/intake/step/{first.id}")
    assert set(radios(page).values()) == {"no"}  # what was sent, from the server
    page.go_forward(wait_until="load")
    page.wait_for_url(f"{live_server_url}/intake/step/{second.id}")
    assert radios(page) == {second_questions[0]: "yes"}

    answer_rest_and_finish(page)
    assert page.evaluate(DRAFTS) == []
    axe_clean(page, "done")
    assert page.evaluate("sessionStorage.length") == 0  # a shared tablet keeps nothing


def test_the_next_patient_in_the_same_tab_gets_none_of_the_drafts(app, live_server_url, page):
    open_intake(page, live_server_url, book(app))
    name = page.locator("input[type=radio]").first.get_attribute("name")
    choose(page, str(name), "yes")
    assert len(page.evaluate(DRAFTS)) == 1
    # Handed over without Finish: the next patient opens their own link here.
    page.context.clear_cookies()
    open_intake(page, live_server_url, book(app))
    assert radios(page) == {}
    assert page.evaluate(DRAFTS) == []


def test_the_patients_copy_prints_with_the_clinic_and_a_plain_reference(app, live_server_url, page):
    open_intake(page, live_server_url, book(app))
    answer_rest_and_finish(page)
    with page.expect_navigation():
        page.get_by_role("link", name="View or print what you read and signed").click()

    main = page.locator("main")
    expect(main).to_contain_text("Riverside Skin Clinic")
    expect(main).to_contain_text("Reference for the clinic:")
    expect(main).to_contain_text("exact text you agreed to")
    expect(main).not_to_contain_text("sha256")
    expect(main).to_contain_text("Your appointment")
    axe_clean(page, "copy")
    if page.viewport_size == PHONE:  # the README's picture
        shoot(page, "patient-copy-390.png")

    # The phone: a tel: link on one line, wherever it is shown.
    phones = page.locator("a.tel")
    assert phones.count() >= 2  # beside the clinic's name, when to call, the footer
    for index in range(phones.count()):
        phone = phones.nth(index)
        expect(phone).to_have_attribute("href", "tel:+442079460958")
        assert phone.evaluate("el => el.getClientRects().length") == 1
        assert phone.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"

    # Print: the button opens the browser's dialog (stubbed here) ...
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    assert page.evaluate("window.printed") is None
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") == 1
    # ... and the printed page has no header, footer, buttons or links to follow.
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.locator("footer.site")).to_be_hidden()
    expect(page.get_by_role("link", name="Back")).to_be_hidden()
    expect(main).to_contain_text("Riverside Skin Clinic")
    expect(page.locator(".ref")).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.emulate_media(media="screen")


@pytest.fixture
def no_js_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, java_script_enabled=False
    )
    page = context.new_page()
    yield page
    context.close()


def test_without_javascript_there_is_no_print_button_and_the_flow_still_works(
    app, live_server_url, no_js_page
):
    page = no_js_page
    open_intake(page, live_server_url, book(app))
    answer_rest_and_finish(page)
    with page.expect_navigation():
        page.get_by_role("link", name="View or print what you read and signed").click()
    expect(page.get_by_role("button", name="Print")).to_have_count(0)  # hidden: not in the tree
    expect(page.locator("main")).to_contain_text("print this page")
