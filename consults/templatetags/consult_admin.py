"""Admin-only template tags: the count of new consult requests on the admin home page."""

from django import template

from consults.models import ConsultRequest

register = template.Library()


@register.simple_tag
def new_consult_request_count():
    return ConsultRequest.objects.filter(status=ConsultRequest.Status.NEW).count()
