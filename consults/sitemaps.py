"""Sitemap entry for the public booking page."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class ConsultSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["consults:book"]

    def location(self, item):
        return reverse(item)


sitemaps = {"consult": ConsultSitemap}
