"""Real headless Chromium (Debian's), driven by Playwright, against a live server.

The live server (``live_server_url``, in ``tests/conftest.py``) runs in a
thread on the test's app, on a committed database of the test's own.

``playwright install`` cannot download a browser here, so the system Chromium
at ``/usr/bin/chromium`` is launched directly.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.conftest import STAFF_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Set INTAKE_SCREENSHOTS=docs/screenshots to (re)write the README's pictures;
# an ordinary test run leaves the work tree alone.
SCREENSHOTS = os.environ.get("INTAKE_SCREENSHOTS")
# The Nu HTML checker (npm vnu-jar, installed by .ci/test into .ci/node).
VNU_JAR = Path(__file__).parents[2] / ".ci/node/node_modules/vnu-jar/build/dist/vnu.jar"


def assert_accessible(page: Page, name: str | None = None, *, screenshot: bool = True) -> None:
    """Check the page as it stands: axe-core, the Nu HTML checker, no sideways scroll.

    axe fails on a violation of any impact; the checker on any error in the
    page's HTML; the page must fit its viewport's width (a wide table scrolls
    inside its own box, never the page). ``name`` names the state in a failure
    and, with ``screenshot``, the picture saved when INTAKE_SCREENSHOTS names a
    folder.
    """
    where = name or page.url
    results = Axe().run(page)
    violations = [
        (v["impact"], v["id"], v["help"], [n["target"] for n in v["nodes"]])
        for v in results.response["violations"]
    ]
    assert violations == [], f"axe on {where}: {violations}"
    errors = html_errors(page.content())
    assert errors == [], f"Nu HTML checker on {where}: {errors}"
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{where} scrolls sideways by {overflow}px"
    if name and screenshot:
        shoot(page, f"{name}.png")


def html_errors(html: str) -> list[str]:
    """The Nu HTML checker's errors for one document, as short lines."""
    response = requests.post(
        f"{_vnu_url()}?out=json",
        data=html.encode(),
        headers={"Content-Type": "text/html; charset=utf-8"},
        timeout=60,
    )
    response.raise_for_status()
    messages = response.json()["messages"]
    return [
        f"line {m.get('lastLine')}: {m['message']} [{m.get('extract', '').strip()}]"
        for m in messages
        if m["type"] in ("error", "non-document-error")
    ]


_vnu: dict[str, str] = {}


def _vnu_url() -> str:
    """The checker's address: INTAKE_VNU_URL, or a checker started once per process."""
    if url := os.environ.get("INTAKE_VNU_URL") or _vnu.get("url"):
        return url
    assert VNU_JAR.exists(), f"{VNU_JAR} is missing: run `npm ci --prefix .ci/node`"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            "java",
            "-Dnu.validator.servlet.bind-address=127.0.0.1",
            "-cp",
            str(VNU_JAR),
            "nu.validator.servlet.Main",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(server.terminate)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(url, timeout=5).close()
            break
        except requests.ConnectionError:
            assert server.poll() is None, "the Nu HTML checker did not start"
            assert time.monotonic() < deadline, "the Nu HTML checker did not answer"
            time.sleep(0.5)
    _vnu["url"] = url
    return url


def sign_in(page: Page, base: str, email: str, password: str = STAFF_PASSWORD) -> None:
    """Sign in through the real form and wait until a staff page shows."""
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot for the README when INTAKE_SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=full_page)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh phone-sized browser context (390x844, touch)."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    yield page
    context.close()


def fill_date_of_birth(page: Page, iso: str) -> None:
    """Type an ISO date into the three date-of-birth boxes (Day, Month, Year), as a person would."""
    year, month, day = iso.split("-")
    page.get_by_label("Day", exact=True).fill(str(int(day)))
    page.get_by_label("Month", exact=True).fill(str(int(month)))
    page.get_by_label("Year", exact=True).fill(year)


@pytest.fixture(params=["phone", "desktop"])
def any_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """The same test at a phone's width (390 px, touch) and at a desktop's."""
    if request.param == "phone":
        context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    else:
        context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    yield page
    context.close()


def width_name(page: Page) -> str:
    """"phone" or "desktop", for screenshot names."""
    size = page.viewport_size
    return "phone" if size and size["width"] <= PHONE["width"] else "desktop"
