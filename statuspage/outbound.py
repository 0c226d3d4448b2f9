"""The one guard in front of every outbound HTTP request (upstream feeds, webhook and chat subscribers).

An address is acceptable when every address its host resolves to is public
(`ipaddress.is_global`, multicast excluded), or falls in OUTBOUND_ALLOW_NETWORKS.
The check runs twice: when a URL is saved (`check_url`, so the form and the API
can answer 422), and when a connection is opened (`guarded_session`): the
socket goes to the very address that was checked, for the first request and
for every redirect, so a DNS answer that changes between the two (rebinding)
gains nothing.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
GENERIC_ERROR = "the request could not be completed"


class OutboundRefused(ValueError):
    """The destination is not public and not allowed. Not an OSError, so urllib3 passes it through."""


def parse_networks(value) -> tuple[Network, ...]:
    """OUTBOUND_ALLOW_NETWORKS as a string ("127.0.0.0/8, ::1/128") or a list; bad entries raise ValueError."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(ipaddress.ip_network(str(item).strip(), strict=False) for item in items if str(item).strip())


def allowed_networks() -> tuple[Network, ...]:
    if not has_app_context():
        return ()
    return parse_networks(current_app.config.get("OUTBOUND_ALLOW_NETWORKS"))


def _plain(ip: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """::ffff:127.0.0.1 and friends are judged as the IPv4 address they carry."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return ip


def address_allowed(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    plain = _plain(ip)
    if any(ip in net or plain in net for net in networks):
        return True
    return plain.is_global and not plain.is_multicast and ip.is_global


class Unresolvable(OutboundRefused):
    """The host has no address (now): refused at connect time, tolerated when a URL is saved."""


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, the way the socket layer will read it (2130706433, 0x7f.1, ...)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (UnicodeError, OSError) as exc:
        raise Unresolvable(f"cannot resolve host {host!r}: {exc}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_host(host: str, port: int, networks: tuple[Network, ...]) -> str:
    """The first address of `host` when all of them are allowed; OutboundRefused otherwise."""
    host = (host or "").strip("[]")
    if not host:
        raise OutboundRefused("the URL has no host")
    addresses = resolve(host, port)
    refused = [a for a in addresses if not address_allowed(a, networks)]
    if refused or not addresses:
        raise OutboundRefused(f"{host} resolves to a non-public address ({', '.join(refused) or 'none'})")
    return addresses[0]


def check_url(url: str, networks: tuple[Network, ...] | None = None, *, unresolvable_ok: bool = False) -> str:
    """Raise OutboundRefused unless `url` is http(s) to a host whose every address is allowed.

    `unresolvable_ok`: a host without an address today passes (saving a URL); the connect-time
    check still stands between it and any request.
    """
    networks = allowed_networks() if networks is None else networks
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise OutboundRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("only http:// and https:// URLs are allowed")
    if parts.username or parts.password:
        raise OutboundRefused("credentials in the URL are not allowed")
    try:
        check_host(parts.hostname or "", port, networks)
    except Unresolvable:
        if not unresolvable_ok:
            raise
    return url


class _GuardedMixin:
    networks: tuple[Network, ...] = ()

    def _new_conn(self):
        # Connect to the address that was checked, not to a second DNS answer; TLS still
        # verifies the certificate against the host name (self.host is unchanged).
        name = getattr(self, "_guard_name", None) or self._dns_host
        self._guard_name = name
        self._dns_host = check_host(name, self.port, self.networks)
        return super()._new_conn()


class _GuardedHTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class GuardedAdapter(HTTPAdapter):
    """A transport adapter whose connections refuse addresses outside the allowed set."""

    def __init__(self, networks: tuple[Network, ...] = (), **kwargs):
        self.networks = tuple(networks)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        attrs = {"networks": self.networks}
        http_conn = type("GuardedHTTPConnection", (_GuardedHTTPConnection,), attrs)
        https_conn = type("GuardedHTTPSConnection", (_GuardedHTTPSConnection,), attrs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }


def guarded_session(networks: tuple[Network, ...] | None = None) -> requests.Session:
    """A requests.Session that can only reach allowed addresses (first request and every redirect).

    Proxies from the environment are ignored: a proxy would make the connect-time check meaningless.
    """
    networks = allowed_networks() if networks is None else networks
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(networks)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
