"""Template tags for structured data: the article page's and the practice's (home)."""

from django import template

from blog.seo import article_structured_data, json_ld_script, practice_structured_data

register = template.Library()


@register.simple_tag
def article_json_ld(article, practice):
    return json_ld_script(article_structured_data(article, practice))


@register.simple_tag
def practice_json_ld(practice):
    return json_ld_script(practice_structured_data(practice))
