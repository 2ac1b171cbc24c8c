from django.urls import path

from . import views

app_name = "consults"

urlpatterns = [
    path("", views.book, name="book"),
    path("received/", views.received, name="received"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/cancel/", views.cancel, name="cancel"),
    path("manage/<str:token>/pick/", views.pick_offered_time, name="pick_offered_time"),
    path(
        "manage/<str:token>/your-information/",
        views.your_information,
        name="your_information",
    ),
    path("manage/<str:token>/delete/", views.delete, name="delete"),
    path("deleted/", views.deleted, name="deleted"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
