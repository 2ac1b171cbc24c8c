"""The pages the therapist added to the menu at the top of every page (base.html)."""

from django import template

from blog.models import Page

register = template.Library()


@register.simple_tag
def menu_pages():
    """Added pages marked "show in the menu", oldest first. Reader pages are kept by the
    page cache, so this one small query runs when a page is made, not on every visit."""
    return list(Page.objects.filter(in_menu=True).only("slug", "title"))
