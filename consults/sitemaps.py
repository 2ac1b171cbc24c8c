"""Sitemap entry for the public booking page."""

from django.urls import reverse

from core.sitemaps import SiteURLSitemap


class ConsultSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["consults:book"]

    def location(self, item):
        return reverse(item)


sitemaps = {"consult": ConsultSitemap}
