from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_chromium_renders_the_health_endpoint(live_server_url, phone_page):
    response = phone_page.goto(f"{live_server_url}/healthz")
    assert response is not None
    assert response.status == 200
    assert '"database":"ok"' in phone_page.content().replace(" ", "")
