"""Which callback URLs a job may name (spec: API.md, "Webhooks"). Deployed, only `https` to a
public name or address: no credentials, no loopback, private, link-local, unique-local, CGNAT or
cloud-metadata address or name, IPv4 in any numeric form a URL parser accepts (the WHATWG URL
standard, which the Workers runtime's fetch follows: `2130706433`, `0x7f.1`, `0177.0.0.1`…), IPv6
including IPv4-mapped and -embedded forms. Local development (`allow_private`) also allows `http`
and local addresses. What a name resolves to is not checked: a Worker cannot resolve names (DNS
rebinding is a known limit, README). Imports nothing.
"""

import ipaddress
import re
from urllib.parse import urlsplit

MAX_CALLBACK_URL_CHARS = 2048

# Printable ASCII without space or backslash: WHATWG parsers drop tabs and newlines and read `\`
# as `/`, so such URLs could mean one host to this check and another to fetch.
_URL_CHARS = re.compile(r"[!-\[\]-~]+")
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_BLOCKED_NAMES = {"localhost", "metadata.google.internal", "metadata", "instance-data"}
# Suffixes reserved for local use (RFC 6761 localhost, RFC 6762 local, home.arpa, ICANN's internal).
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class InvalidCallbackUrl(ValueError):
    """The URL is not one a job may name; the message says why."""


def _ipv4_number(part: str) -> int | None:
    """One part of a WHATWG IPv4 address: hex (0x), octal (leading 0) or decimal; None if none."""
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
        if not digits:
            return 0
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    allowed = {16: "0123456789abcdefABCDEF", 8: "01234567", 10: "0123456789"}[base]
    if not digits or any(c not in allowed for c in digits) or len(digits) > 32:
        return None
    return int(digits, base)


def whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a WHATWG URL parser reads from `host`, or None if it reads a domain.
    Raises InvalidCallbackUrl for a host that ends in a number but is no valid address (the
    parser refuses it too)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    last = parts[-1]
    if not _ASCII_DIGITS.fullmatch(last) and _ipv4_number(last) is None:
        return None  # the host does not end in a number: a domain
    numbers = [_ipv4_number(part) for part in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise InvalidCallbackUrl("the host looks like an IPv4 address but is not a valid one")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise InvalidCallbackUrl("the host looks like an IPv4 address but is not a valid one")
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value * 256 ** (3 - index)
    return ipaddress.IPv4Address(address)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not _is_public(embedded):
            return False
        if address.teredo is not None and not all(_is_public(a) for a in address.teredo):
            return False
    return address.is_global and not address.is_multicast


def check_callback_url(url: str, *, allow_private: bool = False) -> str:
    """`url` if a job may name it as its callback; raises InvalidCallbackUrl otherwise."""
    if len(url) > MAX_CALLBACK_URL_CHARS:
        raise InvalidCallbackUrl(f"callback_url is longer than {MAX_CALLBACK_URL_CHARS} characters")
    if not _URL_CHARS.fullmatch(url):
        raise InvalidCallbackUrl("callback_url must be printable ASCII without spaces or backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a port that is no number in range
    except ValueError as error:
        raise InvalidCallbackUrl(f"callback_url is not a valid URL ({error})") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise InvalidCallbackUrl(f"callback_url must be an {' or '.join(schemes)} URL")
    if "@" in parts.netloc:
        raise InvalidCallbackUrl("callback_url must not carry credentials")
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidCallbackUrl("callback_url has no host")
    if parts.netloc.startswith("["):
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidCallbackUrl("callback_url has an invalid IPv6 address") from None
    else:
        address = whatwg_ipv4(host)
        name = host.rstrip(".")
        if address is None and not all(_HOST_LABEL.fullmatch(label) for label in name.split(".")):
            raise InvalidCallbackUrl("callback_url's host is not a valid name (use the ASCII form of a name)")
        local_name = name in _BLOCKED_NAMES or name.endswith(_BLOCKED_SUFFIXES) or "." not in name
        if address is None and not allow_private and local_name:
            raise InvalidCallbackUrl("callback_url must name a public host, not a local or metadata one")
    if address is not None and not allow_private and not _is_public(address):
        raise InvalidCallbackUrl("callback_url must name a public address, not a local, private or metadata one")
    return url
