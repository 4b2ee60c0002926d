"""Where webhooks may be sent: https on the public internet only (server-side request forgery).

A trust admin types the URL, and the worker that sends it sits inside our network, so an address
on a private, loopback, link-local or otherwise non-public network would let them reach what the
internet cannot. The check runs when the endpoint is saved and again before every attempt (a name
can be pointed somewhere else later). A name that resolves to a public address for the check and
a private one for the connection a moment later is not caught here: for that, send through an
egress proxy that checks at connection time (``settings.WEBHOOK_PROXY_URL``).
``settings.WEBHOOK_ALLOW_INSECURE_HOSTS`` lets development and tests use http on a local address.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

NOT_HTTPS = "Enter a URL that starts with https://"
HAS_CREDENTIALS = "Enter a URL without a user name or password in it"
NOT_FOUND = "We could not find a server at this URL. Check the URL is correct"
NOT_PUBLIC = (
    "This URL points to a private or local network address. Enter a URL that can be reached "
    "from the internet"
)


def insecure_allowed(host: str) -> bool:
    return host.lower() in settings.WEBHOOK_ALLOW_INSECURE_HOSTS


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_refusal(url: str) -> str | None:
    """Why webhooks may not be sent to ``url`` (an error message), or None if they may."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return NOT_HTTPS
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return NOT_HTTPS
    if parts.username or parts.password:
        return HAS_CREDENTIALS
    if insecure_allowed(host):
        return None if parts.scheme in ("https", "http") else NOT_HTTPS
    if parts.scheme != "https":
        return NOT_HTTPS
    try:
        found = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return NOT_FOUND
    if not found or not all(_is_public(info[4][0]) for info in found):
        return NOT_PUBLIC
    return None
