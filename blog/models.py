"""Articles, their old addresses, and the fixed set of editable pages.

Bodies are written in Markdown and stored twice: as typed, and as sanitised HTML
rendered on save (blog.markup), so a page view never renders or cleans anything.
"""

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from .markup import reading_minutes, render_markdown

IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]

# Slugs that would be shadowed by other addresses under /blog/.
RESERVED_ARTICLE_SLUGS = {"feed", "preview"}

MARKDOWN_HELP = (
    "Write in Markdown: a blank line between paragraphs, ## for a section title, "
    "- at the start of a line for a list item, [words](/consult/) for a link."
)


class MarkdownBody(models.Model):
    """A body typed in Markdown and kept beside its sanitised HTML, rendered on save."""

    body_markdown = models.TextField("text", help_text=MARKDOWN_HELP)
    body_html = models.TextField(editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body_markdown)
        super().save(*args, **kwargs)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Articles a reader may see now: published, with a publish date not in the future."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


class Article(MarkdownBody):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (only you can see it)"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        "web address",
        max_length=200,
        unique=True,
        help_text=(
            "The end of the article's address: /blog/<this>/. Filled in from the title. "
            "If you change it after publishing, the old address keeps working."
        ),
    )
    summary = models.TextField(
        help_text="One to three sentences, shown in the list of articles and on the home page.",
    )
    status = models.CharField(
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        help_text="Drafts are never shown to readers. Use the Preview link to see one.",
    )
    published_at = models.DateTimeField(
        "publish date",
        default=timezone.now,
        db_index=True,
        help_text=(
            "A published article appears on the site from this moment. "
            "Pick a future date to schedule it: it stays hidden until then."
        ),
    )
    updated_at = models.DateTimeField("last changed", auto_now=True)
    seo_description = models.CharField(
        "search engine description",
        max_length=300,
        blank=True,
        help_text=(
            "Optional. The short text search engines and social media show under the title "
            "(about 150 characters). Leave empty to use the summary."
        ),
    )
    social_image = models.FileField(
        "image for sharing",
        upload_to="articles/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS)],
        help_text=(
            "Optional. A picture shown when someone shares the article on social media "
            "(JPEG, PNG or WebP, ideally 1200 × 630 pixels)."
        ),
    )
    social_image_alt = models.CharField(
        "image description",
        max_length=200,
        blank=True,
        help_text=(
            "Needed when you add an image: describe it in a sentence for people who cannot see it."
        ),
    )
    reading_time = models.PositiveSmallIntegerField(
        "reading time (minutes)", default=1, editable=False
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.reading_time = reading_minutes(self.body_markdown)
        with transaction.atomic():
            self._remember_old_slug()
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:article_detail", kwargs={"slug": self.slug})

    def get_preview_url(self):
        return reverse("blog:preview", kwargs={"pk": self.pk})

    @property
    def is_live(self):
        """Whether readers can see it now (the same rule as ArticleQuerySet.published)."""
        return type(self).objects.published().filter(pk=self.pk).exists()

    @property
    def description(self):
        return self.seo_description or self.summary

    def clean(self):
        errors = {}
        if self.social_image and not self.social_image_alt.strip():
            errors["social_image_alt"] = "Please describe the image for people who cannot see it."
        if self.slug in RESERVED_ARTICLE_SLUGS:
            errors["slug"] = f"“{self.slug}” is used by the site itself. Please pick another."
        if errors:
            raise ValidationError(errors)

    def _remember_old_slug(self):
        """Keep a published article's old address working after its slug changes."""
        # A slug taken (back) by an article is no longer an old address.
        ArticleSlugRedirect.objects.filter(old_slug=self.slug).delete()
        if self.pk is None:
            return
        old = type(self).objects.filter(pk=self.pk).values("slug", "status").first()
        if old and old["slug"] != self.slug and old["status"] == self.Status.PUBLISHED:
            ArticleSlugRedirect.objects.update_or_create(
                old_slug=old["slug"], defaults={"article": self}
            )


class ArticleSlugRedirect(models.Model):
    """An address an article had before its slug changed: /blog/<old_slug>/ answers 301."""

    old_slug = models.SlugField(max_length=200, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField("since", auto_now_add=True)

    class Meta:
        verbose_name = "old address"
        verbose_name_plural = "old addresses"

    def __str__(self):
        return f"/blog/{self.old_slug}/"


class Page(MarkdownBody):
    """One of the site's fixed pages; created by a migration, edited in admin."""

    class Slug(models.TextChoices):
        HOME = "home", "Home page introduction"
        ABOUT = "about", "About"
        PRIVACY = "privacy", "Privacy"
        ACCESSIBILITY = "accessibility", "Accessibility"

    slug = models.SlugField(choices=Slug, unique=True, editable=False)
    title = models.CharField(
        max_length=200,
        help_text="The page's main heading. On the home page, the large heading at the top.",
    )
    seo_description = models.CharField(
        "search engine description",
        max_length=300,
        blank=True,
        help_text=(
            "Optional. The short text search engines show under the page title "
            "(about 150 characters)."
        ),
    )
    updated_at = models.DateTimeField("last changed", auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.get_slug_display()

    def get_absolute_url(self):
        if self.slug == self.Slug.HOME:
            return reverse("blog:home")
        return reverse("blog:page", kwargs={"slug": self.slug})
