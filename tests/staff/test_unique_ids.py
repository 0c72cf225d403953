"""A page with several forms still has every element id once.

Each form's CSRF field used to carry id="csrf_token", repeated on the page.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from intake.models import Role
from tests.conftest import csrf_token_from, make_user
from tests.staff.conftest import login_as

pytestmark = pytest.mark.usefixtures("app_ctx")


def _duplicate_ids(html: str) -> list[str]:
    counts = Counter(re.findall(r'\sid="([^"]+)"', html))
    return [name for name, n in counts.items() if n > 1]


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_pages_with_several_forms_repeat_no_id(client):
    admin = make_user(Role.ADMIN)
    other = make_user(Role.CLINICIAN)
    login_as(client, admin)
    # The account page: sign-out and role (deactivate and reset have their own
    # confirmation pages).
    for path, forms in ((f"/admin/users/{other.id}", 2), ("/account", 1)):
        html = client.get(path).get_data(as_text=True)
        assert html.count('name="csrf_token"') == forms, path
        assert _duplicate_ids(html) == [], path
        assert csrf_token_from(html)  # the token is still in every form
