"""URLs for the home page, articles, topics, search, the feed, previews, and the pages.

The page pattern catches any single segment, so it comes last; consults are routed
before this module is included (practice/urls.py).
"""

from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from . import views
from .feeds import ArticleFeed

app_name = "blog"

urlpatterns = [
    path("", views.home, name="home"),
    path("blog/", views.ArticleListView.as_view(), name="article_list"),
    path("blog/feed/", cache_control(max_age=0)(require_safe(ArticleFeed())), name="feed"),
    path("blog/preview/<int:pk>/", views.article_preview, name="preview"),
    path("blog/search/", views.search, name="search"),
    path("blog/topics/<slug:slug>/", views.topic, name="topic"),
    path("blog/<slug:slug>/", views.article_detail, name="article_detail"),
    path("<slug:slug>/", views.page, name="page"),
]
