"""Public pages of the blog app: home, the article list, an article, topics, search,
the editable pages, and the staff-only draft preview.

Every reader's page is the same for all visitors: Django's cache middleware keeps it
(core.pages). Browsers are asked to check back each time (max-age=0); the ETag makes
that a 304.
"""

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q, Value
from django.db.models.functions import JSONObject
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from .models import Article, ArticleSlugRedirect, Page, Topic

HOME_ARTICLE_COUNT = 3
SEARCH_MAX_LENGTH = 200


@cache_control(max_age=0)
@require_safe
def home(request):
    return render(
        request,
        "blog/home.html",
        {
            # The page exists from the first migration; a missing row still gives a home page.
            "page": Page.objects.filter(slug=Page.Slug.HOME).first(),
            "articles": Article.objects.published()[:HOME_ARTICLE_COUNT],
        },
    )


@method_decorator(cache_control(max_age=0), name="dispatch")
class ArticleListView(ListView):
    paginate_by = 10
    http_method_names = ["get", "head"]
    template_name = "blog/article_list.html"
    context_object_name = "articles"

    def get_queryset(self):
        # Not a class attribute: "now" must be the time of the request, not of the import.
        return Article.objects.published()


def _with_topics(articles):
    """Articles with their topics ({pk, name, slug}) gathered in the same query."""
    return articles.annotate(
        topic_rows=ArrayAgg(
            JSONObject(pk="topics__pk", name="topics__name", slug="topics__slug"),
            filter=Q(topics__isnull=False),
            order_by="topics__name",
            default=Value([]),
        ),
    )


def _render_article(request, article, **context):
    return render(
        request,
        "blog/article_detail.html",
        {
            "article": article,
            "topics": article.topic_rows,
            "related": Article.objects.related_to(article, [t["pk"] for t in article.topic_rows]),
            **context,
        },
    )


@cache_control(max_age=0)
@require_safe
def article_detail(request, slug):
    article = _with_topics(Article.objects.published().filter(slug=slug)).first()
    if article is None:
        old = (
            ArticleSlugRedirect.objects.filter(
                old_slug=slug, article__in=Article.objects.published()
            )
            .select_related("article")
            .first()
        )
        if old is None:
            raise Http404("No such article.")
        return redirect(old.article, permanent=True)
    return _render_article(request, article)


@never_cache
@require_safe
def article_preview(request, pk):
    # Anyone but staff gets the same 404 as for an address that does not exist.
    if not request.user.is_active or not request.user.is_staff:
        raise Http404("No such article.")
    article = get_object_or_404(_with_topics(Article.objects.all()), pk=pk)
    pending = bool(article.pending_changes)
    return _render_article(request, article.with_pending_changes(), preview=True, pending=pending)


@cache_control(max_age=0)
def topic(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    return render(
        request,
        "blog/topic.html",
        {"topic": topic, "articles": Article.objects.published().filter(topics=topic)},
    )


@cache_control(max_age=0)
def search(request):
    # Control characters (a NUL would make PostgreSQL refuse the query) are not words.
    typed = request.GET.get("q", "")[:SEARCH_MAX_LENGTH]
    words = " ".join("".join(c if c.isprintable() else " " for c in typed).split())
    results = list(Article.objects.search(words)) if words else []
    context = {"words": words, "results": results}
    if not results:
        # An empty answer still helps: every topic to browse instead.
        context["topics"] = Topic.objects.filter(
            articles__in=Article.objects.published()
        ).distinct()
    return render(request, "blog/search.html", context)


@cache_control(max_age=0)
@require_safe
def page(request, slug):
    if slug == Page.Slug.HOME:
        # The home text is shown at /, never at /home/.
        raise Http404("No such page.")
    return render(request, "blog/page.html", {"page": get_object_or_404(Page, slug=slug)})
