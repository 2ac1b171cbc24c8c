from django.urls import path
from django.views.generic import TemplateView

app_name = "consults"

urlpatterns = [
    path("", TemplateView.as_view(template_name="blog/stub.html"), name="book"),
]
