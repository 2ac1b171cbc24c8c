"""Sitemap sections for the home page, the editable pages, the article list, topics and
published articles.

practice/urls.py merges `sitemaps` with the other apps' sections.
"""

from django.db.models import Max
from django.urls import reverse

from core.sitemaps import SiteURLSitemap

from .models import Article, Page, Topic


class PageSitemap(SiteURLSitemap):
    """Home, about, privacy and accessibility (home's address is /)."""

    changefreq = "monthly"

    def items(self):
        return Page.objects.all()

    def lastmod(self, page):
        return page.updated_at

    def priority(self, page):
        return 1.0 if page.slug == Page.Slug.HOME else 0.6


class ArticleSitemap(SiteURLSitemap):
    changefreq = "monthly"
    priority = 0.7

    def items(self):
        return Article.objects.published()

    def lastmod(self, article):
        return article.updated_at


class ArticleListSitemap(SiteURLSitemap):
    """/blog/, the list of articles."""

    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["blog:article_list"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        return Article.objects.published().aggregate(last=Max("updated_at"))["last"]


class TopicSitemap(SiteURLSitemap):
    """Topic pages that list at least one published article."""

    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return (
            Topic.objects.filter(articles__in=Article.objects.published())
            .annotate(last=Max("articles__updated_at"))
            .order_by("name")
        )

    def lastmod(self, topic):
        return topic.last


sitemaps = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "article-list": ArticleListSitemap,
    "topics": TopicSitemap,
}
