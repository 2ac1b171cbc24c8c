from django.urls import path
from django.views.generic import TemplateView

app_name = "blog"

urlpatterns = [
    path("", TemplateView.as_view(template_name="blog/stub.html"), name="home"),
    path("blog/", TemplateView.as_view(template_name="blog/stub.html"), name="article_list"),
    path("blog/feed/", TemplateView.as_view(template_name="blog/stub.html"), name="feed"),
    path("<slug:slug>/", TemplateView.as_view(template_name="blog/stub.html"), name="page"),
]
