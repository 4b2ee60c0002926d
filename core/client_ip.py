"""The address of the person making a request.

Behind reverse proxies, ``REMOTE_ADDR`` is the nearest proxy and the person's address is in
``X-Forwarded-For``, to which each proxy appends the address it was called from. Everything left
of what our own proxies appended can be typed by anyone, so the header is believed only
``settings.TRUSTED_PROXY_COUNT`` entries from the right; with 0 (the default) it is ignored.
"""

import ipaddress

from django.conf import settings


def _address(value: str) -> str | None:
    """The normalised address in ``value`` ("1.2.3.4", "1.2.3.4:5678", "[2001:db8::1]:443"),
    or None if there is none."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def client_ip(request) -> str | None:
    """The client's address: from X-Forwarded-For that many trusted proxy hops from the right,
    else the connection's own address; None if neither is an address."""
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if hops > 0:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part for part in (p.strip() for p in header.split(",")) if part]
        if len(forwarded) >= hops:
            address = _address(forwarded[-hops])
            if address:
                return address
    return _address(request.META.get("REMOTE_ADDR", ""))
