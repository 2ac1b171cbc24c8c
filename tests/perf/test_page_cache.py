"""The page cache (core.cache): what is kept, for whom, and how a change reaches every
web process."""

import gzip
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from blog.models import Article, Page
from consults import slots
from consults.models import ConsultRequest, TimeOff, WeeklyHours
from core import cache
from core.models import ContentVersion, PracticeProfile
from tests.blog.builders import days_from_now, make_article
from tests.consults.builders import (
    hidden_fields,
    make_consult,
    open_every_day,
    open_times,
    set_rules,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_saved_article_is_shown_at_once(client):
    article = make_article(slug="changing", title="First title")
    assert "First title" in client.get("/blog/changing/").content.decode()
    article.title = "Second title"
    article.save()
    content = client.get("/blog/changing/").content.decode()
    assert "Second title" in content
    assert "First title" not in content
    assert "Second title" in client.get("/blog/").content.decode()


def test_a_deleted_article_leaves_the_lists(client):
    article = make_article(slug="going")
    assert "/blog/going/" in client.get("/").content.decode()
    article.delete()
    assert "/blog/going/" not in client.get("/").content.decode()
    assert client.get("/blog/going/").status_code == 404


def test_a_changed_page_and_profile_are_shown_at_once(client):
    client.get("/about/")
    about = Page.objects.get(slug="about")
    about.title = "How I work, changed"
    about.save()
    profile = PracticeProfile.load()
    profile.practice_name = "Renamed Practice"
    profile.save()
    content = client.get("/about/").content.decode()
    assert "How I work, changed" in content
    assert "Renamed Practice" in content


def test_a_scheduled_article_appears_on_cached_pages_when_its_time_comes(client):
    make_article(slug="scheduled", published_at=days_from_now(1))
    assert "/blog/scheduled/" not in client.get("/").content.decode()
    assert "/blog/scheduled/" not in client.get("/blog/feed/").content.decode()
    with time_machine.travel(days_from_now(2), tick=False):
        assert "/blog/scheduled/" in client.get("/").content.decode()
        assert "/blog/scheduled/" in client.get("/blog/feed/").content.decode()


def test_repeat_visits_get_304_and_compressed_pages(client):
    first = client.get("/blog/when-closeness-feels-unsafe/", HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first["Vary"]
    assert first["Cache-Control"] == "no-cache"
    plain = client.get("/blog/when-closeness-feels-unsafe/")
    assert gzip.decompress(first.content) == plain.content
    assert not plain.has_header("Content-Encoding")

    again = client.get("/blog/when-closeness-feels-unsafe/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.django_db(transaction=True)  # the other process must see our rows
def test_a_change_made_by_another_process_reaches_this_one(client, settings, tmp_path):
    """Another gunicorn worker saves the article: this process sees the new content
    token at its next check (CONTENT_CHECK_SECONDS; 0 here, so the test need not wait)."""
    make_article(slug="shared", title="Before")
    assert "Before" in client.get("/blog/shared/").content.decode()

    # The other worker: its own interpreter and connection, saving through the ORM.
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

    settings.CONTENT_CHECK_SECONDS = 0
    content = client.get("/blog/shared/").content.decode()
    assert "After" in content
    assert "Before" not in content


@pytest.mark.django_db(transaction=True)  # on_commit runs only on a real commit
def test_a_change_is_announced_to_the_other_workers_once_committed(settings):
    article = make_article(slug="shared", title="Before")
    before = cache._announced()
    with transaction.atomic():
        article.title = "After"
        article.save()
        # Not yet: another worker reading now would still find the old state.
        assert cache._announced() == before
    assert cache._announced() != before


@pytest.mark.django_db(transaction=True)
def test_a_worker_forked_from_the_same_master_is_heard_at_once(client, settings):
    """Gunicorn forks its workers from one master: an announcement made in one reaches
    the others through shared memory, long before the next timed check."""
    settings.CONTENT_CHECK_SECONDS = 3600
    make_article(slug="shared", title="Before")
    assert "Before" in client.get("/blog/shared/").content.decode()

    # What the other worker's save leaves in the database (a new title, a new token),
    # with no word to this process: still the cached page, for up to an hour.
    Article.objects.filter(slug="shared").update(title="After")
    ContentVersion.objects.filter(pk=1).update(token=uuid.uuid4())
    assert "Before" in client.get("/blog/shared/").content.decode()

    child = os.fork()
    if child == 0:  # the other worker, announcing its committed change
        cache._announce()
        os._exit(0)
    os.waitpid(child, 0)
    content = client.get("/blog/shared/").content.decode()
    assert "After" in content
    assert "Before" not in content


def _counting_view(body_maker):
    calls = []

    @cache.cached_page
    def view(request):
        calls.append(request)
        return body_maker(request)

    return view, calls


def test_a_response_with_a_csrf_token_is_never_kept():
    view, calls = _counting_view(lambda request: HttpResponse(f"token {get_token(request)}"))
    factory = RequestFactory()
    first = view(factory.get("/form/")).content
    second = view(factory.get("/form/")).content
    assert len(calls) == 2
    assert first != second


def test_a_response_that_sets_a_cookie_or_is_private_is_never_kept():
    def with_cookie(request):
        response = HttpResponse("hello")
        response.set_cookie("seen", "yes")
        return response

    def private(request):
        response = HttpResponse("hello")
        response["Cache-Control"] = "private"
        return response

    for make in (with_cookie, private):
        view, calls = _counting_view(make)
        view(RequestFactory().get("/x/"))
        view(RequestFactory().get("/x/"))
        assert len(calls) == 2


def test_a_shared_response_is_kept_and_rendered_once():
    view, calls = _counting_view(lambda request: HttpResponse("the same for everyone"))
    view(RequestFactory().get("/y/"))
    assert view(RequestFactory().get("/y/")).content == b"the same for everyone"
    assert len(calls) == 1


def test_drafts_and_previews_are_not_served_from_the_cache(client, admin_client):
    draft = make_article(slug="a-draft", status=Article.Status.DRAFT)
    assert client.get("/blog/a-draft/").status_code == 404
    preview = admin_client.get(draft.get_preview_url())
    assert preview.status_code == 200
    assert "no-cache" in preview["Cache-Control"]
    assert client.get(draft.get_preview_url()).status_code == 404


def test_the_consult_page_shares_everything_but_each_visitors_own_values(client):
    open_every_day()
    first, second = client.get("/consult/"), Client().get("/consult/")
    # The CSRF token, the submission key and the moment shown are each visitor's own...
    mine, theirs = hidden_fields(first), hidden_fields(second)
    for name in ("csrfmiddlewaretoken", "submission_key", "shown_at"):
        assert mine[name] != theirs[name]
    assert "no-cache" in first["Cache-Control"] or "no-store" in first["Cache-Control"]
    # ...while the rest of the page, open times included, is the same HTML.
    html = [first.content.decode(), second.content.decode()]
    for name in ("csrfmiddlewaretoken", "submission_key", "shown_at"):
        html = [
            page.replace(values[name], "")
            for page, values in zip(html, (mine, theirs), strict=True)
        ]
    assert html[0] == html[1]
    assert 'name="slot"' in html[0]
    assert settings.PAGE_CACHE_ENTRIES > 0


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

    for hours in WeeklyHours.objects.all():
        hours.delete()
    assert open_times(client.get("/consult/")) == []


def test_the_booking_page_reads_held_times_fresh_on_every_showing(client):
    open_every_day()
    first = open_times(client.get("/consult/"))[0]
    consult = make_consult(starts_at=slots.parse_key(first))
    assert first not in open_times(client.get("/consult/"))
    # Even a change no signal announces (a bulk update) shows on the next visit.
    ConsultRequest.objects.filter(pk=consult.pk).update(status=ConsultRequest.Status.CANCELLED)
    assert first in open_times(client.get("/consult/"))
