"""Every patient page, with its stylesheet and script, stays far under 30 KB."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import all_no
from tests.patients.conftest import aftercare_form, answer_steps, booked, confirm

BUDGET = 30 * 1024
STATIC = Path(__file__).resolve().parents[2] / "static"
CSS = STATIC / "css" / "app.css"
JS = STATIC / "js" / "patient.js"
SCRIPT_TAG = '<script src="/static/js/patient.js" defer></script>'


def test_every_patient_page_is_under_budget(app, client):
    _id, token = booked(app)
    pages = {"identity": client.get(f"/i/{token}")}
    pages["identity-error"] = client.post(f"/i/{token}", data={"date_of_birth": "1991-01-01"})
    confirm(client, token)
    pages["step-error"] = client.post("/intake/step/skin", data={})
    answer_steps(client, all_no())
    pages["review"] = client.get("/intake/check")
    pages["aftercare-error"] = client.post("/intake/aftercare", data={})
    client.post("/intake/aftercare", data=aftercare_form(client))
    pages["done"] = client.get("/intake/done")
    pages["copy"] = client.get("/intake/copy")
    css = CSS.stat().st_size + JS.stat().st_size
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert html.count("<link") == 1, name  # the one stylesheet, nothing else
        # One small script of our own, deferred; no inline script, no image.
        assert html.count("<script") == html.count(SCRIPT_TAG) == 1, name
        assert "<img" not in html, name
        headers = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
        assert len(response.data) + headers + css < BUDGET, name
