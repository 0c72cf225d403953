"""WCAG 2.2 AA contrast measured in real Chromium: focus rings (3:1) and status badges (4.5:1).

Colours are read with ``getComputedStyle`` and the WCAG relative-luminance
formula. A ring outside its control (a positive offset) is measured against
what lies behind the control's parent; a ring drawn inside (a negative
offset, the skip link over the dark header) against the control's own
background. Text colour is blended by every ancestor's opacity first, which
is what took the superseded "Deferred" badge to 4.2:1.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page

from intake import decisions
from intake.extensions import db
from intake.models import IntakeStatus, Role
from intake.screening import STEPS
from tests.browser.conftest import fill_date_of_birth, sign_in
from tests.browser.test_patient_pages import DOB, axe_clean, book
from tests.conftest import make_user
from tests.staff.conftest import make_submitted

pytestmark = pytest.mark.browser

FOCUS_RATIO = 3.0
TEXT_RATIO = 4.5

COLOUR = """
const parse = c => {
  const m = c.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return null;
  const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
};
const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3]));
const backdrop = node => {
  const chain = [];
  for (let n = node; n; n = n.parentElement) chain.unshift(n);
  let colour = [255, 255, 255];
  for (const n of chain) {
    const b = parse(getComputedStyle(n).backgroundColor);
    if (b) colour = over(b, colour);
  }
  return colour;
};
const lum = rgb => {
  const f = v => {
    v /= 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
};
const ratio = (a, b) => {
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
const describe = el => {
  const classes = typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [];
  return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    classes.filter(Boolean).map(c => '.' + c).join('') +
    (el.name ? `[name=${el.name}]` : '') + ' ' +
    (el.textContent || el.value || '').trim().slice(0, 30);
};
"""

FOCUS_RINGS = (
    "() => {"
    + COLOUR
    + """
  const focusable = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
    .filter(el => !el.disabled && !el.closest('[hidden]'));
  const found = [];
  for (const el of focusable) {
    el.focus();
    if (document.activeElement !== el || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    const ring = parse(style.outlineColor);
    const inside = parseFloat(style.outlineOffset) < 0;
    const behind = backdrop(inside ? el : el.parentElement);
    found.push({
      control: describe(el),
      visible: el.matches(':focus-visible'),
      style: style.outlineStyle,
      width: parseFloat(style.outlineWidth),
      ratio: Math.round(ratio(ring, behind) * 100) / 100,
    });
  }
  return found;
}"""
)

BADGES = (
    "() => {"
    + COLOUR
    + """
  return [...document.querySelectorAll('.badge')].map(el => {
    const style = getComputedStyle(el);
    let alpha = 1;
    for (let n = el; n; n = n.parentElement) alpha *= parseFloat(getComputedStyle(n).opacity);
    const fg = parse(style.color);
    fg[3] *= alpha;
    const behind = backdrop(el);
    return {badge: describe(el), ratio: Math.round(ratio(over(fg, behind), behind) * 100) / 100};
  });
}"""
)


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture(params=["phone", "desktop"])
def page(request: pytest.FixtureRequest) -> Page:
    return request.getfixturevalue(f"{request.param}_page")  # type: ignore[no-any-return]


def focus_rings(page: Page) -> list[dict[str, Any]]:
    """Focus every control on the page in turn (keyboard mode); return each ring's measures."""
    page.keyboard.press("Tab")  # what a keyboard user does first: rings show from here on
    rings: list[dict[str, Any]] = page.evaluate(FOCUS_RINGS)
    assert rings, "the page has controls to focus"
    return rings


def assert_rings_contrast(page: Page, state: str) -> list[str]:
    rings = focus_rings(page)
    weak = [
        ring
        for ring in rings
        if not ring["visible"]
        or ring["style"] in ("none", "hidden")
        or ring["width"] < 2
        or ring["ratio"] < FOCUS_RATIO
    ]
    assert weak == [], f"{state}: {weak}"
    return [ring["control"] for ring in rings]


def test_focus_rings_on_patient_pages_stand_out_at_3_to_1(app: Flask, live_server_url, page):
    page.goto(f"{live_server_url}/i/{book(app)}")
    controls = assert_rings_contrast(page, "identity")
    assert any(control.startswith("a.skip") for control in controls)
    fill_date_of_birth(page, DOB)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    # Every radio, the details box a "yes" opens, the buttons, the footer's phone link.
    page.locator("input[type=radio][value=yes]").first.check()
    controls = assert_rings_contrast(page, f"step {STEPS[0].id}")
    assert sum(control.startswith("input") for control in controls) >= 2
    assert any(control.startswith("a.tel") for control in controls)
    axe_clean(page, "step")


def test_focus_rings_and_status_badges_on_staff_pages(app: Flask, live_server_url, page):
    with app.app_context():
        clinician = make_user(Role.CLINICIAN)
        email = clinician.email
        _appointment, intake = make_submitted({"acne_prone": "yes"})
        # Deferred twice: the first decision is shown superseded, the second is current.
        first = decisions.record(
            intake.id,
            clinician_id=clinician.id,
            outcome=IntakeStatus.DEFERRED,
            note="Call to ask about the breakouts.",
            seen_status=IntakeStatus.NEEDS_REVIEW,
            seen_decision_id=None,
        )
        db.session.commit()
        decisions.record(
            intake.id,
            clinician_id=clinician.id,
            outcome=IntakeStatus.DEFERRED,
            note="Still waiting to hear back.",
            seen_status=IntakeStatus.DEFERRED,
            seen_decision_id=first.id,
        )
        db.session.commit()
        intake_id = intake.id
    page.goto(f"{live_server_url}/login")
    assert_rings_contrast(page, "sign-in")
    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/review/intakes/{intake_id}")

    badges = page.evaluate(BADGES)
    deferred = [b for b in badges if "status-deferred" in b["badge"]]
    assert len(deferred) >= 3, badges  # the sidebar's status and both history entries
    weak = [b for b in badges if b["ratio"] < TEXT_RATIO]
    assert weak == [], badges

    controls = assert_rings_contrast(page, "intake page")
    # The header's links and sign-out sit on the dark header: a white ring there.
    assert any("Sign out" in control for control in controls)
    axe_clean(page, "intake page")
