"""The real client IP address, the same for the login lockout (axes) and the rate limits.

Behind TRUSTED_PROXY_COUNT proxies that each append the address they saw to
X-Forwarded-For, the client is the entry the outermost proxy wrote: the Nth from the
right. Entries further left were sent by the client itself and can be anything. With
no proxies (the default) X-Forwarded-For is ignored and REMOTE_ADDR is the client.
"""

import hashlib
import hmac
import ipaddress

from django.conf import settings


def _valid(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request):
    remote_addr = _valid(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < proxies:
        # Fewer hops than configured: the request did not come through every proxy, so
        # nothing in the header can be trusted.
        return remote_addr
    return _valid(forwarded[-proxies]) or remote_addr


def client_network(request):
    """A keyed hash naming the client's network: its IPv4 address, or its IPv6 /64 (one
    home or phone line usually has a whole /64). Stored instead of any address."""
    address = ipaddress.ip_address(client_ip(request))
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == 6:
        network = str(ipaddress.ip_network(f"{address}/64", strict=False))
    else:
        network = str(address)
    return hmac.new(settings.SECRET_KEY.encode(), network.encode(), hashlib.sha256).hexdigest()[:32]
