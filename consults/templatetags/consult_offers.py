"""The times the therapist offered a request, for the visitor's manage page."""

from django import template

register = template.Library()


@register.simple_tag
def offered_times(consult):
    if consult is None or consult.status not in consult.HOLDING:
        return []
    return list(consult.offers.all())
