"""Sitemap sections for the home page, the editable pages and published articles.

practice/urls.py merges `sitemaps` with the other apps' sections.
"""

from core.sitemaps import SiteURLSitemap

from .models import Article, Page


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


sitemaps = {"pages": PageSitemap, "articles": ArticleSitemap}
