"""Reader pages kept in Django's page cache (core.pages): fresh after every change, from
every process, and never holding anything of one visitor."""

import gzip
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from blog.models import Article, Page
from consults import slots
from consults.models import ConsultRequest, TimeOff, WeeklyHours
from core.models import PracticeProfile
from tests.blog.builders import make_article
from tests.consults.builders import (
    hidden_fields,
    make_consult,
    open_every_day,
    open_times,
    set_rules,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
ARTICLE = "/blog/when-closeness-feels-unsafe/"
READER_PAGES = ["/", "/blog/", ARTICLE, "/about/", "/blog/feed/"]


def test_a_saved_article_is_shown_at_once(client, committed):
    article = make_article(slug="changing", title="First title")
    assert "First title" in client.get("/blog/changing/").content.decode()
    assert "First title" in client.get("/blog/").content.decode()
    article.title = "Second title"
    committed(article.save)
    content = client.get("/blog/changing/").content.decode()
    assert "Second title" in content
    assert "First title" not in content
    assert "Second title" in client.get("/blog/").content.decode()


def test_a_deleted_article_leaves_the_lists(client, committed):
    article = make_article(slug="going")
    assert "/blog/going/" in client.get("/").content.decode()
    committed(article.delete)
    assert "/blog/going/" not in client.get("/").content.decode()
    assert client.get("/blog/going/").status_code == 404


def test_a_changed_page_and_profile_are_shown_at_once(client, committed):
    client.get("/about/")
    about = Page.objects.get(slug="about")
    about.title = "How I work, changed"
    profile = PracticeProfile.load()
    profile.practice_name = "Renamed Practice"
    committed(lambda: (about.save(), profile.save()))
    content = client.get("/about/").content.decode()
    assert "How I work, changed" in content
    assert "Renamed Practice" in content


def test_a_scheduled_article_appears_within_a_minute_of_its_time(client):
    make_article(slug="scheduled", published_at=timezone.now() + timedelta(seconds=30))
    assert "/blog/scheduled/" not in client.get("/").content.decode()
    assert "/blog/scheduled/" not in client.get("/blog/feed/").content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        # Published, but the kept pages are still within their minute.
        assert "/blog/scheduled/" not in client.get("/").content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        assert "/blog/scheduled/" in client.get("/").content.decode()
        assert "/blog/scheduled/" in client.get("/blog/feed/").content.decode()


@pytest.mark.parametrize("path", READER_PAGES)
def test_repeat_visits_get_304_and_compressed_pages(client, path):
    first = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first["Vary"]
    # Browsers ask each time; the answer is a 304 while nothing changed.
    assert "max-age=0" in first["Cache-Control"]
    plain = client.get(path)
    assert gzip.decompress(first.content) == plain.content
    assert not plain.has_header("Content-Encoding")

    again = client.get(path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def test_a_kept_page_is_answered_without_rendering_it(client, django_assert_max_num_queries):
    make_article(slug="kept", title="Kept")
    client.get("/blog/kept/")
    Article.objects.filter(slug="kept").update(title="Changed behind its back")
    # A bulk update sends no signal: the page is the one kept (looked up in the cache,
    # no article query), until it expires or something is saved.
    with django_assert_max_num_queries(2):
        assert "Kept" in client.get("/blog/kept/").content.decode()


@pytest.mark.django_db(transaction=True)  # the other process must see our rows
def test_a_change_made_by_another_process_reaches_this_one(client, settings, tmp_path):
    """Another gunicorn worker (or instance) saves the article: the shared page cache is
    emptied when it commits, so this process serves the change on its next request."""
    make_article(slug="shared", title="Before")
    assert "Before" in client.get("/blog/shared/").content.decode()

    script = tmp_path / "other_worker.py"
    script.write_text(
        "import django\n"
        "django.setup()\n"
        "from blog.models import Article\n"
        "article = Article.objects.get(slug='shared')\n"
        "article.title = 'After'\n"
        "article.save()\n"
    )
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, str(script)], env=env, check=True, cwd=ROOT)

    content = client.get("/blog/shared/").content.decode()
    assert "After" in content
    assert "Before" not in content


@pytest.fixture
def base_that_greets_the_user(settings, tmp_path):
    """A site whose layout says who is signed in, as a template one day might."""
    (tmp_path / "base.html").write_text(
        "<title>{% block title %}{% endblock %}</title>"
        "<p>Signed in as {{ user.get_username|default:'nobody' }}</p>"
        "{% block content %}{% endblock %}"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]


@pytest.mark.parametrize("path", [*READER_PAGES[:-1], "/consult/"])
def test_a_page_the_therapist_saw_never_reaches_an_anonymous_visitor(
    admin_client, base_that_greets_the_user, path
):
    open_every_day()
    therapist = admin_client.get(path, HTTP_ACCEPT_ENCODING="gzip")
    assert therapist.status_code == 200
    assert b"Signed in as admin" in gzip.decompress(therapist.content)
    for headers in ({}, {"HTTP_ACCEPT_ENCODING": "gzip"}):
        visitor = Client().get(path, **headers)
        body = visitor.content
        if visitor.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert b"Signed in as nobody" in body
        assert b"Signed in as admin" not in body


def test_drafts_and_previews_are_never_kept(client, admin_client):
    draft = make_article(slug="a-draft", status=Article.Status.DRAFT)
    assert client.get("/blog/a-draft/").status_code == 404
    preview = admin_client.get(draft.get_preview_url())
    assert preview.status_code == 200
    assert "no-cache" in preview["Cache-Control"]
    assert client.get(draft.get_preview_url()).status_code == 404


def test_each_visitor_gets_their_own_consult_form(client):
    open_every_day()
    first, second = client.get("/consult/"), Client().get("/consult/")
    mine, theirs = hidden_fields(first), hidden_fields(second)
    for name in ("csrfmiddlewaretoken", "submission_key", "shown_at"):
        assert mine[name] != theirs[name]
    assert "no-store" in first["Cache-Control"]
    assert open_times(first) == open_times(second) != []


def test_the_booking_page_shows_a_change_to_hours_time_off_or_rules_at_once(client):
    open_every_day()
    offered = open_times(client.get("/consult/"))
    first_day = slots.parse_key(offered[0]).astimezone(PracticeProfile.load().tz).date()

    TimeOff.objects.create(start_date=first_day, end_date=first_day)
    after_time_off = open_times(client.get("/consult/"))
    assert offered[0] not in after_time_off
    assert after_time_off

    set_rules(consult_minutes=50)
    assert "50-minute call" in client.get("/consult/").content.decode()

    WeeklyHours.objects.all().delete()
    assert open_times(client.get("/consult/")) == []


def test_the_booking_page_reads_held_times_fresh_on_every_showing(client):
    open_every_day()
    first = open_times(client.get("/consult/"))[0]
    consult = make_consult(starts_at=slots.parse_key(first))
    assert first not in open_times(client.get("/consult/"))
    ConsultRequest.objects.filter(pk=consult.pk).update(status=ConsultRequest.Status.CANCELLED)
    assert first in open_times(client.get("/consult/"))
