from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Articles and pages"

    def ready(self):
        from core import pages

        from .models import Article, ArticleSlugRedirect, Page

        pages.clear_on_change(Article, ArticleSlugRedirect, Page)
