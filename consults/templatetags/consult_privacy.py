"""The privacy page's automatic part, for the blog's page template.

The privacy page is a blog Page the therapist writes; what the site actually does
(how long requests are kept, who handles them) comes from the settings here, so the
page says it as it is today. The blog loads this library by name, never by import.
"""

from django import template

from ..models import BookingRules

register = template.Library()


@register.inclusion_tag("consults/_privacy_facts.html", takes_context=True)
def privacy_facts(context):
    return {"practice": context["practice"], "rules": BookingRules.load()}
