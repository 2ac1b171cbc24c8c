"""Absolute addresses and structured data for search engines, feeds and sharing.

Every absolute link starts from settings.SITE_URL rather than the request's Host
header, so a feed or sitemap fetched through a proxy or odd hostname stays right.
"""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

# The characters that could end or confuse a <script> element, as JSON escapes
# (the same set django.utils.html.json_script uses).
_SCRIPT_SAFE = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


# The picture for sharing when a page has none of its own.
DEFAULT_IMAGE = "img/og-default.png"


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


def article_structured_data(article, practice):
    """schema.org Article data for one article."""
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": article.description,
        "datePublished": article.published_at.isoformat(),
        "dateModified": article.updated_at.isoformat(),
        "url": absolute_url(article.get_absolute_url()),
        "mainEntityOfPage": absolute_url(article.get_absolute_url()),
        "author": {"@type": "Person", "name": practice.therapist_name},
        "publisher": {"@type": "Organization", "name": practice.practice_name},
    }
    data["image"] = absolute_url(article.image_for_sharing or static(DEFAULT_IMAGE))
    return data


def practice_structured_data(practice):
    """schema.org data for the practice, from its profile, for the home page.

    A ProfessionalService: the closest type for a therapist's practice that search
    engines use (schema.org's MedicalBusiness types promise medical facts we do not keep).
    """
    data = {
        "@context": "https://schema.org",
        "@type": "ProfessionalService",
        "name": practice.practice_name,
        "url": absolute_url("/"),
        "image": absolute_url(static(DEFAULT_IMAGE)),
        "employee": {"@type": "Person", "name": practice.therapist_name},
    }
    if practice.credentials:
        data["employee"]["hasCredential"] = practice.credentials
    if practice.contact_email:
        data["email"] = practice.contact_email
    if practice.contact_phone:
        data["telephone"] = practice.contact_phone
    if practice.location:
        data["areaServed"] = practice.location
    return data


def json_ld_script(data):
    """A <script type="application/ld+json"> element that no value can break out of."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_SAFE)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308
