"""Admin for articles (with their old addresses) and the fixed set of pages."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.html import format_html

from .models import Article, ArticleSlugRedirect, Page


class ArticleSlugRedirectInline(admin.TabularInline):
    """Old addresses are recorded automatically; shown so the therapist knows they work."""

    model = ArticleSlugRedirect
    extra = 0
    can_delete = False
    fields = ["old_slug", "created_at"]
    readonly_fields = fields
    verbose_name_plural = "Old addresses that now lead to this article"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "published_at", "updated_at", "preview"]
    list_filter = ["status", "published_at"]
    search_fields = ["title", "summary", "body_markdown"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    readonly_fields = ["preview", "reading_time", "updated_at"]
    inlines = [ArticleSlugRedirectInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body_markdown"]}),
        (
            "Publishing",
            {
                "fields": ["status", "published_at", "preview", "reading_time", "updated_at"],
                "description": (
                    "Readers see an article once it is Published and its publish date has "
                    "come. Until then only you can see it, through the Preview link."
                ),
            },
        ),
        (
            "Search engines and sharing",
            {
                "fields": ["seo_description", "social_image", "social_image_alt"],
                "description": "All optional. Sensible defaults are used when empty.",
            },
        ),
    ]

    def get_queryset(self, request):
        # Whether each article is live, in the list's own query rather than one per row.
        live = Article.objects.published().filter(pk=OuterRef("pk"))
        return super().get_queryset(request).annotate(live_now=Exists(live))

    @admin.display(description="Preview")
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return "Save the article first, then a preview link appears here."
        live = obj.live_now if hasattr(obj, "live_now") else obj.is_live
        if live:
            return format_html('<a href="{}">Live on the site</a>', obj.get_absolute_url())
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview</a>', obj.get_preview_url()
        )


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    """The pages are a fixed set: they can be edited, never added or deleted."""

    list_display = ["__str__", "title", "updated_at"]
    fields = ["title", "body_markdown", "seo_description", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
