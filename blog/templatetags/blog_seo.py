"""Template tags for the article page's structured data."""

from django import template

from blog.seo import article_structured_data, json_ld_script

register = template.Library()


@register.simple_tag
def article_json_ld(article, practice):
    return json_ld_script(article_structured_data(article, practice))
