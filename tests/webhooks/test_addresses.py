"""Only https URLs whose host resolves to public addresses may receive webhooks."""

from __future__ import annotations

import ipaddress

import pytest

from intake.webhooks.addresses import AddressRefusedError, check, refusal

# IP literals: no DNS needed. 93.184.216.34 is a public address (example.com's, once).
PUBLIC = "https://93.184.216.34/hooks/intake"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://93.184.216.34/hooks", "webhook.not_https"),
        ("https://localhost/hooks", "webhook.loopback"),
        ("https://127.0.0.1/hooks", "webhook.loopback"),
        ("https://127.8.9.10:8443/hooks", "webhook.loopback"),
        ("https://[::1]/hooks", "webhook.loopback"),
        ("https://[::ffff:127.0.0.1]/hooks", "webhook.loopback"),
        ("https://10.1.2.3/hooks", "webhook.private"),
        ("https://172.16.0.1/hooks", "webhook.private"),
        ("https://192.168.1.10/hooks", "webhook.private"),
        ("https://[::ffff:10.0.0.1]/hooks", "webhook.private"),
        ("https://[fd00::1]/hooks", "webhook.private"),
        ("https://169.254.169.254/latest/meta-data", "webhook.link_local"),
        ("https://[fe80::1]/hooks", "webhook.link_local"),
        ("https://224.0.0.1/hooks", "webhook.multicast"),
        ("https://[ff02::1]/hooks", "webhook.multicast"),
        ("https://0.0.0.0/hooks", "webhook.unspecified"),
        ("https://[::]/hooks", "webhook.unspecified"),
        ("https://240.0.0.1/hooks", "webhook.reserved"),
        ("https://100.64.0.1/hooks", "webhook.not_public"),
        ("https://user:secret@93.184.216.34/hooks", "webhook.credentials"),
        ("https://93.184.216.34/hooks#part", "webhook.fragment"),
        ("ftp://93.184.216.34/hooks", "webhook.not_a_url"),
        ("partner.example/hooks", "webhook.not_a_url"),
        ("https:///hooks", "webhook.not_a_url"),
        ("https://93.184.216.34:99999/hooks", "webhook.not_a_url"),
        ("https://no-such-host.invalid/hooks", "webhook.unresolvable"),
        ("https://93.184.216.34/" + "a" * 2100, "webhook.too_long"),
    ],
)
def test_refused(url: str, code: str):
    with pytest.raises(AddressRefusedError) as refused:
        check(url, allow_loopback=False)
    assert refused.value.code == code
    assert refused.value.field == "url"


def test_a_hostname_that_resolves_to_loopback_names_the_address():
    with pytest.raises(AddressRefusedError) as refused:
        check("https://localhost:8443/hooks", allow_loopback=False)
    assert refused.value.code == "webhook.loopback"
    assert ipaddress.ip_address(refused.value.address).is_loopback
    assert refused.value.host == "localhost"


def test_a_public_address_is_allowed_and_is_where_the_delivery_connects():
    target = check(PUBLIC + "?source=intake", allow_loopback=False)
    assert str(target.address) == "93.184.216.34"
    assert target.pinned_url() == "https://93.184.216.34:443/hooks/intake?source=intake"
    assert target.host_header() == "93.184.216.34"


def test_ipv6_is_bracketed_when_pinned():
    target = check("https://[2606:2800:220:1:248:1893:25c8:1946]:8443/x", allow_loopback=False)
    assert target.pinned_url() == "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/x"
    assert target.host_header() == "[2606:2800:220:1:248:1893:25c8:1946]:8443"


def test_the_test_setting_allows_loopback_over_http_and_nothing_else():
    target = check("http://127.0.0.1:8080/hooks", allow_loopback=True)
    assert target.pinned_url() == "http://127.0.0.1:8080/hooks"
    assert target.host_header() == "127.0.0.1:8080"
    check("http://localhost:8080/hooks", allow_loopback=True)
    for url, code in [
        ("https://10.0.0.1/hooks", "webhook.private"),
        ("http://10.0.0.1/hooks", "webhook.private"),
        ("http://93.184.216.34/hooks", "webhook.not_https"),
        ("https://169.254.169.254/", "webhook.link_local"),
    ]:
        with pytest.raises(AddressRefusedError) as refused:
            check(url, allow_loopback=True)
        assert refused.value.code == code, url


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str):
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) is None
