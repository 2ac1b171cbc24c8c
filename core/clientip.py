"""The client a request comes from, the same for the login lockout (axes) and the rate limits.

Behind TRUSTED_PROXY_COUNT proxies that each append the address they saw to
X-Forwarded-For, the client is the entry the outermost proxy wrote: the Nth from the
right. Entries further left were sent by the client itself and can be anything. With
no proxies (the default) X-Forwarded-For is ignored and REMOTE_ADDR is the client.

Limits count networks, not single addresses. An IPv6 host is routinely given a whole
/64 (2^64 addresses it may pick from at will), so an IPv6 client is its /64, written as
that network's first address; an IPv4 address written as IPv6 (::ffff:203.0.113.7) is the
IPv4 address. The result is always a valid IP address, which axes stores as is.
"""

import hashlib
import hmac
import ipaddress

from django.conf import settings

IPV6_CLIENT_PREFIX = 64


def client_network(value):
    """The address that stands for the client's network, or None for a malformed value."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False)
        return str(network.network_address)
    return str(address)


def client_ip(request):
    remote_addr = client_network(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104
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
    return client_network(forwarded[-proxies]) or remote_addr


def network_key(request):
    """A keyed hash naming the client's network (client_ip: its IPv4 address or IPv6
    /64), stored instead of any address."""
    digest = hmac.new(settings.SECRET_KEY.encode(), client_ip(request).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
