"""Outbound HTTP to an address a merchant typed (a store URL, an alert webhook): only to
public hosts.

Following such an address to 127.0.0.1, 10.x or 169.254.169.254 would let anyone probe our
own network (SSRF). The host is resolved and every address it resolves to must be global
unicast; the caller then makes its request without following redirects (a redirect could
lead to an address this check refused). Development against a local receiver sets
``STOREFLOW_ALLOW_PRIVATE_STORE_URLS``, which production ignores for alert webhooks.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse


class PrivateAddressError(ValueError):
    """The address is malformed, does not resolve, or resolves to a non-public address."""


def refuse_private_host(host: str, what: str = "host") -> None:
    """Raise unless every address ``host`` resolves to is public (an IP literal included)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise PrivateAddressError(f"{what} {host!r} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise PrivateAddressError(f"{what} {host!r} resolves to a non-public {address}")


def check_public_url(url: str, *, allow_private: bool = False) -> str:
    """The URL, stripped, if it is http(s)://host... without credentials on a public host."""
    url = url.strip()
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises ValueError on a port outside 0-65535
    except ValueError:
        raise PrivateAddressError(f"not a web address: {url!r}") from None
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise PrivateAddressError(f"must be an http(s) address, got {url!r}")
    if parsed.username or parsed.password:
        raise PrivateAddressError("the address must not carry a user name or password")
    if not allow_private:
        refuse_private_host(parsed.hostname, "address host")
    return url
