"""Admin for articles, their topics and pictures, and the editable pages.

Articles and pages keep a version on every save (django-reversion's VersionAdmin):
the history lists them with who and when, two can be compared, one restored, and a
deleted one recovered. A live article's changes can be saved as a draft of changes
(Article.pending_changes): readers keep the published text until it is published.
"""

import difflib

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from reversion.admin import VersionAdmin
from reversion.models import Version

from .markup import clean_html, html_to_text
from .models import Article, ArticleImage, ArticleSlugRedirect, Page, Topic
from .seo import absolute_url
from .widgets import ArticleEditorWidget

# What a draft of changes holds: the words readers see. Dates, status and topics take
# effect when saved, as before.
DRAFTABLE_FIELDS = ["title", "summary", "body", "seo_description"]
# What a comparison of two versions shows, in the order of the form.
COMPARED_FIELDS = ["title", "slug", "summary", "body", "seo_description", "status", "published_at"]


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


def removed_images_warning(request, obj):
    if getattr(obj, "images_removed", 0):
        messages.warning(
            request,
            f"{obj.images_removed} picture(s) pasted from elsewhere could not be kept: the site "
            "shows only pictures uploaded to it. Use the picture button in the toolbar to add "
            "them.",
        )


class VersionsMixin:
    """Comparing two saved versions of an article or page, from its history page."""

    object_history_template = "admin/blog/object_history.html"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{opts.app_label}_{opts.model_name}_compare",
            ),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        versions = Version.objects.get_for_object_reference(self.model, object_id).select_related(
            "revision"
        )
        extra_context = {"versions": versions, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def compare_view(self, request, object_id):
        obj = get_object_or_404(self.model, pk=object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise Http404
        versions = Version.objects.get_for_object(obj).select_related("revision")
        try:
            older = versions.get(pk=request.GET.get("from"))
            newer = versions.get(pk=request.GET.get("to")) if request.GET.get("to") else None
        except (Version.DoesNotExist, ValueError):
            raise Http404("No such version.") from None
        older_fields = older.field_dict
        newer_fields = newer.field_dict if newer else {f: getattr(obj, f) for f in COMPARED_FIELDS}
        rows = [
            {
                "label": self.model._meta.get_field(name).verbose_name.capitalize(),
                "lines": _diff_lines(older_fields.get(name), newer_fields.get(name), name),
            }
            for name in COMPARED_FIELDS
            if name in newer_fields and older_fields.get(name) != newer_fields.get(name)
        ]
        return TemplateResponse(
            request,
            "admin/blog/compare.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": obj,
                "title": f"Compare versions of “{obj}”",
                "older": older,
                "newer": newer,
                "rows": rows,
            },
        )


def _as_lines(value, name):
    if value is None:
        return []
    if name == "body":
        return html_to_text(clean_html(value)).splitlines()
    if hasattr(value, "isoformat"):
        return [timezone.localtime(value).strftime("%Y-%m-%d %H:%M")]
    return str(value).splitlines() or [""]


def _diff_lines(old, new, name):
    """[(kind, text)]: kind is "same", "removed" or "added", line by line."""
    kinds = {" ": "same", "-": "removed", "+": "added"}
    return [
        (kinds[line[0]], line[2:])
        for line in difflib.ndiff(_as_lines(old, name), _as_lines(new, name))
        if line[0] in kinds
    ]


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        exclude = []  # noqa: DJ006 - every editable field, as the admin's own default form
        widgets = {"body": ArticleEditorWidget}


@admin.register(Article)
class ArticleAdmin(VersionsMixin, VersionAdmin):
    form = ArticleForm
    list_display = ["title", "status_column", "published_at", "updated_at", "preview"]
    list_filter = ["status", "published_at", "topics"]
    search_fields = ["title", "summary", "body_text"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    filter_horizontal = ["topics"]
    readonly_fields = ["preview", "reading_time", "updated_at", "search_preview"]
    inlines = [ArticleSlugRedirectInline]
    change_form_template = "admin/blog/article/change_form.html"
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "topics"]}),
        (
            "Publishing",
            {
                "fields": ["status", "published_at", "preview", "reading_time", "updated_at"],
                "description": (
                    "Readers see an article once it is Published and its publish date has "
                    "come. Until then only you can see it, through the Preview link. Changes "
                    "to a live article can be saved as a draft of changes and previewed first."
                ),
            },
        ),
        (
            "Search engines and sharing",
            {
                "fields": ["search_preview", "seo_description", "social_image", "social_image_alt"],
                "description": "All optional. Sensible defaults are used when empty.",
            },
        ),
    ]

    def get_queryset(self, request):
        # Whether each article is live, in the list's own query rather than one per row.
        live = Article.objects.published().filter(pk=OuterRef("pk"))
        return super().get_queryset(request).annotate(live_now=Exists(live))

    def get_object(self, request, object_id, from_field=None):
        # The form opens on the draft of changes, when there is one: that is what the
        # therapist is working on. Readers still get the saved fields.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and obj.pending_changes and request.method == "GET":
            for name, value in obj.pending_changes.items():
                setattr(obj, name, value)
        return obj

    def view_on_site(self, obj):
        live = obj.live_now if hasattr(obj, "live_now") else obj.is_live
        return obj.get_absolute_url() if live and not obj.pending_changes else obj.get_preview_url()

    @admin.display(description="Status", ordering="published_at")
    def status_column(self, obj):
        label = obj.status_label
        if label == "Scheduled":
            when = timezone.localtime(obj.published_at).strftime("%b %-d, %Y %H:%M")
            label = f"Scheduled for {when}"
        if obj.pending_changes:
            label += " (changes not yet published)"
        return label

    @admin.display(description="Preview")
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return "Save the article first, then a preview link appears here."
        live = obj.live_now if hasattr(obj, "live_now") else obj.is_live
        if live and not obj.pending_changes:
            return format_html('<a href="{}">Live on the site</a>', obj.get_absolute_url())
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview</a>', obj.get_preview_url()
        )

    @admin.display(description="In search results")
    def search_preview(self, obj):
        address = (
            absolute_url(obj.get_absolute_url()) if obj and obj.pk else absolute_url("/blog/…/")
        )
        return format_html(
            '<div class="search-preview" data-search-preview data-suffix="">'
            '<p class="search-preview__title" data-preview-title>{}</p>'
            '<p class="search-preview__url">{}</p>'
            '<p class="search-preview__description" data-preview-description>{}</p></div>',
            obj.title if obj else "",
            address,
            (obj.description if obj else ""),
        )

    def save_model(self, request, obj, form, change):
        if change and "_save_pending" in request.POST:
            saved = Article.objects.get(pk=obj.pk)
            obj.pending_changes = {name: form.cleaned_data[name] for name in DRAFTABLE_FIELDS}
            # Readers keep the published words until the draft is published.
            for name in DRAFTABLE_FIELDS:
                setattr(obj, name, getattr(saved, name))
        else:
            obj.pending_changes = {}
        super().save_model(request, obj, form, change)
        removed_images_warning(request, obj)

    def response_change(self, request, obj):
        if "_save_pending" in request.POST:
            self.message_user(
                request,
                "Your changes are saved as a draft. Readers still see the published article. "
                "Preview them, then press Save to publish them.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        live = bool(obj and obj.pk and obj.is_live)
        context.update({"can_save_pending": live, "has_pending": bool(obj and obj.pending_changes)})
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class ImageUploadForm(forms.ModelForm):
    class Meta:
        model = ArticleImage
        fields = ["file", "alt_text", "decorative", "caption"]


@admin.register(ArticleImage)
class ArticleImageAdmin(admin.ModelAdmin):
    """Pictures for articles. The editor's picture button opens the picker below."""

    form = ImageUploadForm
    list_display = ["thumbnail", "__str__", "caption", "uploaded_at"]
    search_fields = ["alt_text", "caption"]
    readonly_fields = ["thumbnail"]

    def get_fields(self, request, obj=None):
        # A picture's file is made once; to change it, upload another.
        if obj:
            return ["thumbnail", "alt_text", "decorative", "caption"]
        return ["file", "alt_text", "decorative", "caption"]

    @admin.display(description="Picture")
    def thumbnail(self, obj):
        return format_html(
            '<img src="{}" alt="" width="120" height="{}">',
            obj.thumbnail_url,
            round(120 * obj.height / obj.width) if obj.width else 80,
        )

    def get_urls(self):
        return [
            path(
                "picker/",
                self.admin_site.admin_view(self.picker_view),
                name="blog_articleimage_picker",
            ),
            *super().get_urls(),
        ]

    def picker_view(self, request):
        """The editor's picture window: upload a new picture, or pick one uploaded before."""
        if not self.has_view_permission(request):
            raise Http404
        form = ImageUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and self.has_add_permission(request) and form.is_valid():
            picture = form.save()
            return HttpResponseRedirect(
                f"{reverse('admin:blog_articleimage_picker')}?{request.GET.urlencode()}"
                f"&uploaded={picture.pk}"
            )
        return render(
            request,
            "admin/blog/articleimage/picker.html",
            {
                **self.admin_site.each_context(request),
                "title": "Add a picture",
                "form": form,
                "pictures": ArticleImage.objects.all()[:60],
                "uploaded": request.GET.get("uploaded", ""),
                "is_popup": True,
            },
        )


class PageForm(forms.ModelForm):
    class Meta:
        model = Page
        exclude = []  # noqa: DJ006 - every editable field, as the admin's own default form
        widgets = {"body": ArticleEditorWidget}


@admin.register(Page)
class PageAdmin(VersionsMixin, VersionAdmin):
    """The four built-in pages can be edited, never removed; added pages can be both."""

    form = PageForm
    list_display = ["__str__", "title", "in_menu", "updated_at", "view_link"]

    @admin.display(description="Address")
    def view_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())

    readonly_fields = ["updated_at"]

    def get_fields(self, request, obj=None):
        fields = ["title", "slug", "body", "seo_description", "in_menu"]
        if obj and obj.is_built_in:
            fields.remove("slug")
            fields.remove("in_menu")  # the menu names the built-in pages itself
        return [*fields, "updated_at"]

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj and obj.is_built_in else {"slug": ["title"]}

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_built_in:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        removed_images_warning(request, obj)
