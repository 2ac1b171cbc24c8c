from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Articles and pages"

    def ready(self):
        from core import cache

        from .models import Article, ArticleSlugRedirect, Page

        # Cached pages (core.cache) go stale when an article or page changes, and when a
        # scheduled article's time comes.
        cache.watch(Article, ArticleSlugRedirect, Page)
        cache.watch_schedule(Article.objects.next_publication)
