"""{% crisis_notice as notice %}: the crisis wording for the page or email being drawn.

From the practice profile in the context (every page has it, through
core.context_processors, and every visitor email); a page drawn without it (the 503
page while the database is away, an error page drawn without its request) gets the last
wording this process drew, or the generic one (core.crisis).
"""

from django import template

from core import crisis

register = template.Library()


@register.simple_tag(takes_context=True)
def crisis_notice(context):
    practice = context.get("practice")
    return practice.crisis if practice else crisis.last_seen()
