"""Sitemap entries for the public booking page and, when switched on, the consumer health
data privacy policy."""

from django.urls import reverse

from core.models import PracticeProfile
from core.sitemaps import SiteURLSitemap


class ConsultSitemap(SiteURLSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return ["consults:book"]

    def location(self, item):
        return reverse(item)


class HealthDataSitemap(SiteURLSitemap):
    changefreq = "monthly"
    priority = 0.3

    def items(self):
        return ["consumer_health_data"] if PracticeProfile.load().consumer_health_data_page else []

    def location(self, item):
        return reverse(item)


sitemaps = {"consult": ConsultSitemap, "consumer-health-data": HealthDataSitemap}
