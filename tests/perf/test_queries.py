"""Query budgets: readers' pages rendered in 4 queries or fewer (the last for the pages the
therapist put in the menu), and answered from the
page cache in one (the shared version, core.pages); the booking page and the admin's
lists in a number that does not grow with the data."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blog.models import Article, Topic
from consults import emails
from consults.models import BookingRules, ConsultRequest, WeeklyHours
from core.models import PracticeProfile
from tests.blog.builders import make_article
from tests.consults.builders import make_consult

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site_rows():
    """The single rows a live site has had since its first request (created on demand)."""
    PracticeProfile.load()
    BookingRules.load()


ARTICLE = "/blog/when-closeness-feels-unsafe/"
READER_PAGES = [
    "/",
    "/blog/",
    ARTICLE,
    "/privacy/",  # its part written from the settings reads the booking rules
    "/blog/feed/",
    "/blog/topics/topic-1/",
    "/blog/search/?q=closeness",
    "/blog/search/?q=zebra",  # no result: the page offers every topic instead
]


def count_queries(client, path, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    assert response.status_code == 200, path
    return len(queries)


@pytest.fixture
def many_articles():
    topics = [Topic.objects.create(name=f"Topic {n}", slug=f"topic-{n}") for n in range(1, 4)]
    Article.objects.get(slug="when-closeness-feels-unsafe").topics.set(topics[:2])
    for day in range(1, 26):
        article = make_article(slug=f"day-{day}", published_at=timezone.now() - timedelta(days=day))
        article.topics.set(topics[: day % 4])


# Every GET first reads the page cache's shared version (core.pages): one query.
VERSION_READ = 1


@pytest.mark.parametrize("path", READER_PAGES)
def test_reader_pages_render_in_four_queries_or_fewer(
    client, many_articles, django_assert_max_num_queries, path
):
    with django_assert_max_num_queries(VERSION_READ + 4):
        client.get(path)


@pytest.mark.parametrize("path", READER_PAGES)
def test_reader_pages_take_one_query_once_kept(
    client, many_articles, django_assert_num_queries, path
):
    client.get(path)
    with django_assert_num_queries(VERSION_READ):
        client.get(path)


def _open_hours(ranges_per_day):
    WeeklyHours.objects.all().delete()
    for weekday in range(7):
        for n in range(ranges_per_day):
            WeeklyHours.objects.create(weekday=weekday, start=time(8 + 2 * n), end=time(9 + 2 * n))


def _hold_times(count):
    for day in range(2, 2 + count):
        make_consult(
            starts_at=(timezone.now() + timedelta(days=day)).replace(
                hour=13, minute=0, second=0, microsecond=0
            )
        )


# Late in the practice's evening (New York), so today has no times left and both pages
# show tomorrow's: earlier in the day, one page could show what is left of today.
@time_machine.travel(datetime(2026, 3, 3, 4, tzinfo=UTC), tick=True)
def test_the_consult_page_takes_the_same_queries_however_many_times_and_bookings(client):
    _open_hours(1)
    small = count_queries(client, "/consult/")
    small_page = client.get("/consult/").content.decode()

    _open_hours(5)
    _hold_times(15)
    large = count_queries(client, "/consult/")
    large_page = client.get("/consult/").content.decode()

    assert large_page.count('type="radio" name="slot"') > 3 * small_page.count(
        'type="radio" name="slot"'
    )
    assert small == large


def _make_articles(count):
    for n in range(count):
        make_article(slug=f"admin-list-{count}-{n}")


def _make_consults(count):
    for n in range(count):
        consult = make_consult(starts_at=None, name=f"Visitor {n}")
        emails.queue_request_received(consult)


def _make_upcoming(count):
    """New requests, half with a time in the coming days (today's, this week's, later)."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    made = ConsultRequest.objects.count()
    for n in range(made, made + count):
        at = start + timedelta(hours=5 * n) if n % 2 else None
        make_consult(starts_at=at, name=f"Visitor {n}")


@pytest.mark.parametrize(
    ("changelist", "make_rows"),
    [
        ("/admin/blog/article/", _make_articles),
        ("/admin/consults/consultrequest/", _make_consults),
        ("/admin/consults/outboundemail/", _make_consults),
        ("/admin/", _make_upcoming),  # the home screen
    ],
)
def test_admin_lists_take_the_same_queries_however_many_rows(admin_client, changelist, make_rows):
    # Each list is loaded once before counting: the first request of a session does a
    # little more.
    make_rows(2)
    admin_client.get(changelist)
    few = count_queries(admin_client, changelist)
    make_rows(30)
    admin_client.get(changelist)
    many = count_queries(admin_client, changelist)
    assert few == many
