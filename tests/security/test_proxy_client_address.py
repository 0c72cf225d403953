"""Issue 11, finding 7: behind trusted proxies the limits see the client's own address."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.staff.conftest import _fresh_g_per_request  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_ctx")

WRONG = "this is not the password at all"
LIMIT = 3


def attempt(client_for, email: str, forwarded_for: str) -> int:
    return (
        client_for()
        .post(
            "/login",
            data={"email": email, "password": WRONG},
            headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"},
        )
        .status_code
    )


@pytest.mark.parametrize(
    "app_config",
    [{"INTAKE_TRUSTED_PROXIES": 1, "INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES": LIMIT}],
)
def test_one_client_behind_the_proxy_does_not_lock_out_the_others(client_for):
    statuses = [attempt(client_for, f"a{n}@clinic.test", "203.0.113.7") for n in range(LIMIT + 1)]
    assert statuses == [HTTPStatus.OK] * LIMIT + [HTTPStatus.TOO_MANY_REQUESTS]
    # Another patient's or colleague's address, through the same proxy, is not refused.
    assert attempt(client_for, "b@clinic.test", "198.51.100.20") == HTTPStatus.OK


@pytest.mark.parametrize("app_config", [{"INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES": LIMIT}])
def test_without_trusted_proxies_the_header_is_ignored(client_for):
    # Spoofed X-Forwarded-For values from one connection share that connection's count.
    statuses = [attempt(client_for, f"c{n}@clinic.test", f"192.0.2.{n}") for n in range(LIMIT + 1)]
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS
