"""Public pages of the blog app: home, the article list, an article, the editable
pages, and the staff-only draft preview.

Every reader's page is the same for all visitors: Django's cache middleware keeps it
(core.pages). Browsers are asked to check back each time (max-age=0); the ETag makes
that a 304.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from .models import Article, ArticleSlugRedirect, Page

HOME_ARTICLE_COUNT = 3


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


@cache_control(max_age=0)
@require_safe
def article_detail(request, slug):
    article = Article.objects.published().filter(slug=slug).first()
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
    return render(request, "blog/article_detail.html", {"article": article})


@never_cache
@require_safe
def article_preview(request, pk):
    # Anyone but staff gets the same 404 as for an address that does not exist.
    if not request.user.is_active or not request.user.is_staff:
        raise Http404("No such article.")
    article = get_object_or_404(Article, pk=pk)
    return render(request, "blog/article_detail.html", {"article": article, "preview": True})


@cache_control(max_age=0)
@require_safe
def page(request, slug):
    if slug == Page.Slug.HOME:
        # The home text is shown at /, never at /home/.
        raise Http404("No such page.")
    return render(request, "blog/page.html", {"page": get_object_or_404(Page, slug=slug)})
