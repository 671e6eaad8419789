"""Where a webhook may be sent: public addresses only, unless an administrator allowlists a network.

A webhook makes the *server* open a connection, so a subscription to
``http://169.254.169.254/...`` (cloud metadata), ``http://127.0.0.1:5432`` or
any internal host would turn the server into a proxy into its own network
(server-side request forgery).  The rule is applied to the addresses a host
*resolves to*, not to its name (``localhost``, ``127.1``, ``2130706433`` and
``[::ffff:127.0.0.1]`` all mean loopback), and again at every delivery: the
delivery connects to the address that was just checked, so a DNS answer that
changes between check and connect (DNS rebinding) cannot slip through.

Refused: loopback, private (RFC 1918, unique-local), link-local, multicast,
reserved, unspecified, shared (carrier-grade NAT) and every other
non-global range.  ``webhook_allowed_networks`` (settings or environment,
never the API) lets an administrator open specific networks, e.g. an internal
deployment tool's subnet.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import CanvasError, UnsafeTargetError, ValidationError

__all__ = ["IPAddress", "allowed_networks", "check_address", "resolve_target", "split_url"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_HINT = ("webhooks may only reach public addresses, unless an administrator allowlists the network "
         "(setting webhook_allowed_networks)")


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or ValidationError naming what is wrong."""
    try:
        parts = urlsplit(url) if len(url) <= 2000 and url.isprintable() else None
        host, port = (parts.hostname, parts.port) if parts else (None, None)
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number or out of range
        parts, host, port = None, None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ValidationError("A webhook URL must be an http:// or https:// address with a host (at most 2,000 characters).",
                              details={"field": "url"})
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def allowed_networks(settings: Settings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for entry in settings.webhook_allowed_networks:
        try:
            out.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise CanvasError(f"The setting webhook_allowed_networks has an entry that is not a network: {entry!r} "
                              "(write CIDR, e.g. 10.20.0.0/16); an administrator must correct it.") from None
    return out


def _kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address (None when it is)."""
    for attr, words in (("is_unspecified", "an unspecified"), ("is_loopback", "a loopback"), ("is_link_local", "a link-local"),
                        ("is_multicast", "a multicast"), ("is_private", "a private"), ("is_reserved", "a reserved")):
        if getattr(ip, attr):
            return words
    return None if ip.is_global else "a non-public"


def check_address(address: str, settings: Settings, host: str | None = None) -> IPAddress:
    """``address`` as an IP when a webhook may connect to it, else UnsafeTargetError saying why."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(ip in net for net in allowed_networks(settings)):
        return ip
    kind = _kind(ip)
    if kind is None:
        return ip
    named = f"The webhook host {host} resolves to {ip}" if host and host != str(ip) else f"The webhook address {ip} is"
    named = named if named.endswith(" is") else f"{named}, which is"
    raise UnsafeTargetError(f"{named} {kind} address; {_HINT}.",
                            details={"field": "url", "host": host, "address": str(ip), "kind": kind.split(" ", 1)[1]})


def resolve_target(url: str, settings: Settings, resolver: Resolver | None = None) -> tuple[str, int, IPAddress]:
    """(host, port, the address to connect to): every address the host resolves to must be allowed.

    All of them, not just the first: a name with one public and one internal
    address would otherwise be a coin toss between a delivery and a probe.
    """
    _scheme, host, port = split_url(url)
    try:
        addresses = (resolver or _system_resolver)(host, port)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(f"The webhook host {host} cannot be resolved ({getattr(exc, 'strerror', None) or exc}); "
                              "check the name.", details={"field": "url", "host": host}) from None
    if not addresses:
        raise ValidationError(f"The webhook host {host} resolves to no address.", details={"field": "url", "host": host})
    checked = [check_address(a, settings, host) for a in addresses]
    return host, port, checked[0]
