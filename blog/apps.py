from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import m2m_changed


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Articles and pages"

    def ready(self):
        from core import pages

        from .models import Article, ArticleImage, ArticleSlugRedirect, Page, Topic

        # Topics name pages and feed items; a picture's description is shown by articles.
        pages.clear_on_change(Article, ArticleSlugRedirect, Page, Topic, ArticleImage)
        # Topics added to or removed from an article change its page, the topic pages
        # and the feed, but save no article row.
        m2m_changed.connect(
            lambda **kwargs: transaction.on_commit(pages.clear),
            sender=Article.topics.through,
            dispatch_uid="blog.article_topics.pages",
            weak=False,
        )
