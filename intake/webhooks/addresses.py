"""Where a webhook may be sent: an https URL whose host resolves to public addresses only.

Checked when an admin registers the URL and again right before each delivery
(DNS may have changed since): every address the name resolves to must be
public, and the delivery then connects to the address checked here, not to
whatever a second lookup would answer (see :mod:`intake.webhooks.delivery`).
So a name that once pointed at a public server cannot be turned, later, into
a way to reach the clinic's own network (server-side request forgery).

``INTAKE_WEBHOOKS_ALLOW_LOOPBACK`` (tests only) lets loopback addresses
through, over http too, so tests can run a receiver on this machine.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from intake.errors import InputError

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefusedError(InputError):
    """The URL is not one webhooks may be sent to; ``code`` says why, ``address`` what."""

    def __init__(self, code: str, *, address: str = "", host: str = "") -> None:
        super().__init__(code, field="url")
        self.address = address
        self.host = host


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to call the host."""

    url: SplitResult
    host: str
    port: int
    address: IPAddress

    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        path = self.url.path or "/"
        query = f"?{self.url.query}" if self.url.query else ""
        return f"{self.url.scheme}://{literal}:{self.port}{path}{query}"

    def host_header(self) -> str:
        default = 443 if self.url.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return address


# In this order: 169.254.0.0/16 and 240.0.0.0/4 count as private too, but
# "link-local" and "reserved" say more.
_REFUSED = (
    ("is_link_local", "webhook.link_local"),
    ("is_multicast", "webhook.multicast"),
    ("is_reserved", "webhook.reserved"),
    ("is_private", "webhook.private"),
)


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Return why webhooks may not go to ``address`` (a code), or None when it is public."""
    address = _unmapped(address)
    if address.is_unspecified:
        return "webhook.unspecified"
    if address.is_loopback:
        return None if allow_loopback else "webhook.loopback"
    for attribute, code in _REFUSED:
        if getattr(address, attribute):
            return code
    if not address.is_global:  # shared (100.64/10), documentation ranges and the like
        return "webhook.not_public"
    return None


def _parse(url: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise AddressRefusedError("webhook.too_long")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise AddressRefusedError("webhook.not_a_url") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressRefusedError("webhook.not_a_url")
    if parts.username is not None or parts.password is not None:
        raise AddressRefusedError("webhook.credentials")
    if parts.fragment:
        raise AddressRefusedError("webhook.fragment")
    return parts


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefusedError("webhook.unresolvable", host=host) from None
    found: list[IPAddress] = []
    for info in infos:
        # The scope of a link-local IPv6 address ("fe80::1%eth0") is dropped; it is refused anyway.
        text = str(info[4][0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if address not in found:
            found.append(address)
    if not found:
        raise AddressRefusedError("webhook.unresolvable", host=host)
    return found


def check(url: str, *, allow_loopback: bool) -> Target:
    """Check ``url`` and resolve its host; return where to connect.

    Every address the host resolves to must be allowed (one private address
    among public ones is refused: which one a client picks is not ours to say).

    :raise AddressRefusedError: not an https URL, or not (only) public addresses.
    """
    parts = _parse(url.strip())
    host = parts.hostname or ""
    if parts.scheme != "https" and not allow_loopback:
        raise AddressRefusedError("webhook.not_https", host=host)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port)
    for address in addresses:
        code = refusal(address, allow_loopback=allow_loopback)
        if code is not None:
            raise AddressRefusedError(code, address=str(address), host=host)
    # Plain http only to this machine, and only when tests allow it.
    if parts.scheme != "https" and not all(_unmapped(a).is_loopback for a in addresses):
        raise AddressRefusedError("webhook.not_https", host=host)
    return Target(url=parts, host=host, port=port, address=addresses[0])
