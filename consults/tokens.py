"""Signed "manage my request" links: unguessable, unalterable, and short-lived.

A token is the request's public id signed with SECRET_KEY. It stops working after
the consult has ended (or, for a request without a time, after MAX_AGE).
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from .models import ConsultRequest

SALT = "consults.manage-link"
MAX_AGE = timedelta(days=60)


def make_token(consult):
    return signing.dumps(str(consult.public_id), salt=SALT, compress=False)


def manage_path(consult):
    return reverse("consults:manage", args=[make_token(consult)])


def manage_url(consult):
    return settings.SITE_URL + manage_path(consult)


def _public_id(token):
    try:
        return signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None


def consult_for_token(token, now=None):
    """The request a token opens, or None if it is forged, altered or no longer valid."""
    public_id = _public_id(token)
    if public_id is None:
        return None
    consult = ConsultRequest.objects.filter(public_id=public_id).first()
    now = now or timezone.now()
    if consult is None or (consult.ends_at is not None and consult.ends_at <= now):
        return None
    return consult


def names_deleted_request(token):
    """Whether a genuine, unexpired link names a request that no longer exists: deleted
    by the visitor, erased by the therapist, or removed by retention."""
    public_id = _public_id(token)
    return public_id is not None and not ConsultRequest.objects.filter(public_id=public_id).exists()
