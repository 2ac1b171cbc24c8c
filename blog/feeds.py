"""The articles feed (RSS 2.0) at /blog/feed/, with absolute links from SITE_URL."""

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
        articles = list(Article.objects.published()[:FEED_LENGTH])
        for article in articles:
            article.author_name = practice.therapist_name
        return articles

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author_name
