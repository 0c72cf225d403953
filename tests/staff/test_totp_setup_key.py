"""The authenticator set-up page: the key in groups of four, and a plain copy to select."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest

from intake.models import Role
from tests.conftest import STAFF_PASSWORD, make_user
from tests.staff.conftest import login_as

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_the_key_is_grouped_in_fours_and_given_plain_in_a_read_only_field(client):
    login_as(client, make_user(Role.CLINICIAN))
    html = client.get("/account/two-factor").get_data(as_text=True)

    groups = re.findall(r'<span class="group">([A-Z2-7]+)</span>', html)
    plain = re.search(r'<input id="setup-key-plain"[^>]*>', html).group(0)
    value = re.search(r'value="([A-Z2-7]+)"', plain).group(1)

    assert len(value) == 32
    assert groups == [value[i : i + 4] for i in range(0, 32, 4)]
    assert "readonly" in plain
    # Labelled, and the copy button is only shown by the script (hidden without it).
    assert '<label for="setup-key-plain">' in html
    assert re.search(r'<button type="button"[^>]*data-copy="setup-key-plain"[^>]*hidden>', html)
    assert 'role="status"' in html
    assert "/static/js/copy-field.js" in html


def test_the_same_key_is_shown_until_it_is_confirmed(client):
    login_as(client, make_user(Role.FRONT_DESK))
    first = client.get("/account/two-factor").get_data(as_text=True)
    key = re.search(r'id="setup-key-plain"[^>]*value="([A-Z2-7]+)"', first).group(1)
    again = client.post("/account/two-factor", data={"code": "000000", "password": "x"})
    assert key in again.get_data(as_text=True)


def test_the_groups_never_wrap_inside_a_group(client, app):
    css = (Path(app.static_folder or "") / "css" / "staff.css").read_text()
    assert re.search(r"code\.setup-key-groups \.group\{[^}]*white-space:nowrap", css)


def test_the_recovery_codes_cross_the_redirect_sealed_and_show_once(client):
    login_as(client, make_user(Role.CLINICIAN))
    html = client.get("/account/two-factor").get_data(as_text=True)
    key = re.search(r'id="setup-key-plain"[^>]*value="([A-Z2-7]+)"', html).group(1)
    response = client.post(
        "/account/two-factor", data={"code": pyotp.TOTP(key).now(), "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302
    with client.session_transaction() as session:
        held = repr(dict(session))
    # A HEAD (a prefetch) does not use up the one showing.
    assert response.headers["Location"] == "/account/recovery-codes"
    client.head("/account/recovery-codes")
    page = client.get("/account/recovery-codes").get_data(as_text=True)
    codes = re.findall(r'<code class="recovery-code">([^<]+)</code>', page)
    assert len(codes) == 10
    assert not any(code in held for code in codes)
