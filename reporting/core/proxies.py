"""Trust ``X-Forwarded-For`` and ``X-Forwarded-Proto`` only from the configured reverse proxies.

``TRUSTED_PROXIES`` lists the proxies' addresses or networks (comma-separated, e.g.
``127.0.0.1`` or ``10.0.0.0/24,::1``). A request whose connecting address is one of them goes
through Werkzeug's ``ProxyFix`` for one hop: ``request.remote_addr`` becomes the client address
the proxy saw, and ``request.scheme`` the scheme it received. From any other address the headers
are ignored, so a client cannot choose its own address (the login throttle is keyed on it). Empty
(the default) trusts no one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` → networks; raises ValueError on a malformed entry."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


def _trusted(address: str | None, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests from a trusted proxy, the raw request otherwise."""

    def __init__(self, app: Callable[..., Any], networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.networks and _trusted(environ.get("REMOTE_ADDR"), self.networks):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
