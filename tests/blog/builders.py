"""Small builders for blog tests: an article in one call, dated relative to now."""

import datetime
import itertools

from django.utils import timezone

from blog.models import Article

_numbers = itertools.count(1)


def days_from_now(days):
    return timezone.now() + datetime.timedelta(days=days)


def make_article(**fields):
    """A saved article, published yesterday unless told otherwise."""
    n = next(_numbers)
    values = {
        "title": f"Test article {n}",
        "slug": f"test-article-{n}",
        "summary": f"Summary of test article {n}.",
        "body": f"<p>Body of test article {n}.</p>",
        "status": Article.Status.PUBLISHED,
        "published_at": days_from_now(-1),
    }
    values.update(fields)
    return Article.objects.create(**values)


def make_draft(**fields):
    return make_article(status=Article.Status.DRAFT, **fields)
