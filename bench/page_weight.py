"""Measure the bytes each patient page transfers, in headless Chromium with the cache off.

Walks the whole patient flow against a live server on a throwaway SQLite
database and, for every page, adds up what the browser received (headers and
bodies of the page's document, of the one stylesheet and of the one small
deferred script every patient page loads; no page loads anything else: no
font, no image, nothing from elsewhere).

    python -m bench.page_weight          # from the repository root; prints a Markdown table

The budget is 30 KB (30,720 bytes) per page including CSS and script.
"""

from __future__ import annotations

import sys
import tempfile
import threading

from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import BrowserContext, Page, Request, sync_playwright
from werkzeug.serving import make_server

from intake import create_app
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.test_patient_flow import _pages

BUDGET = 30 * 1024


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            upgrade()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base = f"http://127.0.0.1:{server.server_port}"
        app.config["INTAKE_BASE_URL"] = base
        threading.Thread(target=server.serve_forever, daemon=True).start()
        rows = measure(app, base)
        server.shutdown()
    print("| page | HTML (bytes) | CSS and script (bytes) | transferred (bytes) |")
    print("|---|---:|---:|---:|")
    worst = 0
    for name, document, assets in rows:
        print(f"| {name} | {document:,} | {assets:,} | {document + assets:,} |")
        worst = max(worst, document + assets)
    print(f"\nLargest page: {worst:,} bytes; budget {BUDGET:,} bytes.")
    return 0 if worst <= BUDGET else 1


def _size(request: Request) -> int:
    sizes = request.sizes()
    return sizes["responseHeadersSize"] + sizes["responseBodySize"]


def _document(requests: list[Request]) -> int:
    """Return the bytes of the last document loaded (the page now on screen)."""
    return _size([r for r in requests if r.resource_type == "document"][-1])


def measure(app: Flask, base: str) -> list[tuple[str, int, int]]:
    """Return (page, document bytes, stylesheet and script bytes) for each patient page."""
    rows = []
    assets = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
        finished: list[Request] = []
        page = _uncached_page(context, finished)
        for name in _pages(app, base, page):
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(100)  # let the last "requestfinished" events arrive
            # Each file once: a name may stand for several page loads in a row.
            loaded = {
                r.url: _size(r) for r in finished if r.resource_type in ("stylesheet", "script")
            }
            assets = max(assets, sum(loaded.values()))
            if not any(r.resource_type == "document" for r in finished):
                # The page changed by taps alone: load its URL afresh in a
                # second tab of the same browser (same cookie, empty cache).
                again: list[Request] = []
                tab = _uncached_page(context, again)
                tab.goto(page.url, wait_until="networkidle")
                tab.wait_for_timeout(100)
                rows.append((name, _document(again), assets))
                tab.close()
            else:
                rows.append((name, _document(finished), assets))
            finished.clear()
        browser.close()
    # With the cache off every page loads the whole stylesheet and script.
    return [(name, document, assets) for name, document, _assets in rows]


def _uncached_page(context: BrowserContext, finished: list[Request]) -> Page:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    # Playwright wraps handlers by setting an attribute: a bound builtin cannot take one.
    page.on("requestfinished", lambda request: finished.append(request))  # noqa: PLW0108
    return page


if __name__ == "__main__":
    sys.exit(main())
