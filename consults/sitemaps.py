"""Sitemap entries for the public booking page and the notices the practice shows: the
Good Faith Estimate (US practices) and, when switched on, the consumer health data
privacy policy."""

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


class NoticesSitemap(SiteURLSitemap):
    changefreq = "monthly"
    priority = 0.3

    def items(self):
        profile = PracticeProfile.load()
        shown = {
            "good_faith_estimate": profile.in_us,
            "consumer_health_data": profile.consumer_health_data_page,
        }
        return [name for name, on in shown.items() if on]

    def location(self, item):
        return reverse(item)


sitemaps = {"consult": ConsultSitemap, "notices": NoticesSitemap}
