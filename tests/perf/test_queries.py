"""Query budgets: readers' pages in 3 queries or fewer, even with nothing cached; the
booking page and the admin's lists in a number that does not grow with the data."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consults import emails
from consults.models import BookingRules, WeeklyHours
from core import cache
from core.models import PracticeProfile
from tests.blog.builders import make_article
from tests.consults.builders import make_consult

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site_rows():
    """The single rows a live site has had since its first request (created on demand)."""
    PracticeProfile.load()
    BookingRules.load()


@pytest.fixture(autouse=True)
def no_timed_recheck(settings):
    """The content state's timed re-read (once a second) is one query, which on a slow
    machine could land inside one count and not another; changes still reach the cache
    at once (core.cache.bump)."""
    settings.CONTENT_CHECK_SECONDS = 3600


ARTICLE = "/blog/when-closeness-feels-unsafe/"
READER_PAGES = ["/", "/blog/", ARTICLE, "/blog/feed/"]


def count_queries(client, path, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    assert response.status_code == 200, path
    return len(queries)


@pytest.fixture
def many_articles():
    for day in range(1, 26):
        make_article(slug=f"day-{day}", published_at=timezone.now() - timedelta(days=day))


@pytest.mark.parametrize("path", READER_PAGES)
def test_reader_pages_take_three_queries_or_fewer_with_nothing_cached(
    client, many_articles, django_assert_max_num_queries, path
):
    cache.reset()  # cold: no page, no content state, no practice profile in memory
    with django_assert_max_num_queries(3):
        client.get(path)


@pytest.mark.parametrize("path", READER_PAGES)
def test_reader_pages_take_no_query_once_cached(
    client, many_articles, django_assert_num_queries, path
):
    client.get(path)
    with django_assert_num_queries(0):
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


def test_the_consult_page_takes_the_same_queries_however_many_times_and_bookings(client):
    _open_hours(1)
    cache.reset()
    small = count_queries(client, "/consult/")
    small_page = client.get("/consult/").content.decode()

    _open_hours(5)
    _hold_times(15)
    cache.reset()
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


def test_a_warm_booking_page_reads_only_the_held_times(client, django_assert_num_queries):
    _open_hours(3)
    _hold_times(5)
    client.get("/consult/")
    with django_assert_num_queries(1):
        page = client.get("/consult/")
    assert page.content.decode().count('type="radio" name="slot"') > 5


@pytest.mark.parametrize(
    ("changelist", "make_rows"),
    [
        ("/admin/blog/article/", _make_articles),
        ("/admin/consults/consultrequest/", _make_consults),
        ("/admin/consults/outboundemail/", _make_consults),
    ],
)
def test_admin_lists_take_the_same_queries_however_many_rows(admin_client, changelist, make_rows):
    # Each list is loaded once before counting: the first request of a session, and the
    # first after content changed (core.cache reads the content state), do a little more.
    make_rows(2)
    admin_client.get(changelist)
    few = count_queries(admin_client, changelist)
    make_rows(30)
    admin_client.get(changelist)
    many = count_queries(admin_client, changelist)
    assert few == many
