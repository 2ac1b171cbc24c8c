"""The articles feed (RSS 2.0) at /blog/feed/, with absolute links from SITE_URL.

Each item's GUID is built from the article's id, never its address, so renaming a
slug does not make feed readers show the article again as new. Django's Feed sets
Last-Modified from the newest item date (item_pubdate, item_updateddate), so
ConditionalGetMiddleware answers If-Modified-Since with 304 as it answers If-None-Match.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse

from core.models import PracticeProfile

from .models import Article
from .seo import absolute_url

FEED_LENGTH = 20


class ArticleFeed(Feed):
    def get_object(self, request):
        # The feed's "object" is the practice: its name titles the feed and signs each item.
        return PracticeProfile.load()

    def title(self, practice):
        return f"{practice.practice_name}: articles"

    def description(self, practice):
        return f"New articles from {practice.practice_name}."

    def link(self):
        return absolute_url(reverse("blog:article_list"))

    def feed_url(self):
        return absolute_url(reverse("blog:feed"))

    def items(self, practice):
        articles = list(Article.objects.published().prefetch_related("topics")[:FEED_LENGTH])
        for article in articles:
            article.author_name = practice.therapist_name
        return articles

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def item_guid(self, item):
        # A tag URI (RFC 4151): the site's host and the article's id, for ever.
        return f"tag:{urlsplit(settings.SITE_URL).hostname},2025:article-{item.pk}"

    item_guid_is_permalink = False

    def item_categories(self, item):
        return [topic.name for topic in item.topics.all()]

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author_name
