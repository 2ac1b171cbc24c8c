"""Articles, their topics, pictures and old addresses, and the editable pages.

Bodies are written in the admin's editor (HTML) and stored three ways on save: as
written once cleaned (what the editor opens again), as the readers' HTML with each
picture's sizes filled in, and as plain text for search and reading time. A page view
never cleans, resizes or counts anything.
"""

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import FileExtensionValidator
from django.db import models, transaction
from django.db.models import Count, Q
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import images
from .markup import clean_html, html_to_text, reading_minutes

IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
RELATED_COUNT = 3
SEARCH_CONFIG = "english"
SEARCH_RESULTS = 20
# Marks around the words a search found, chosen so no body text can contain them;
# the text between is escaped before they become <mark>.
_HIT_START, _HIT_STOP = "\x02", "\x03"

# Slugs that would be shadowed by other addresses under /blog/.
RESERVED_ARTICLE_SLUGS = {"feed", "preview", "search", "topics"}

BODY_HELP = (
    "Use the toolbar for section titles, lists, quotes and links, and the picture button "
    "for images. Pasting from Word or Google Docs keeps headings, lists and links."
)


def validate_upload_size(file):
    if file.size > images.MAX_UPLOAD_BYTES:
        limit = images.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise ValidationError(
            f"This file is larger than {limit} MB. Please choose a smaller photo "
            "(a phone's normal photo is well under that)."
        )


class WrittenBody(models.Model):
    """A body written in the editor, kept as written (cleaned), for readers, and as text."""

    body = models.TextField("text", blank=True, help_text=BODY_HELP)
    body_html = models.TextField(editable=False, default="")
    body_text = models.TextField(editable=False, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.render_body()
        super().save(*args, **kwargs)

    def render_body(self):
        """Clean the body and make the readers' HTML and text from it (no saving)."""
        self.body = clean_html(self.body)
        ids = [int(i) for i in images.image_ids(self.body) if i.isdigit()]
        found = {str(pk): image for pk, image in ArticleImage.objects.in_bulk(ids).items()}
        # How many images could not be kept (pasted from elsewhere): the admin says so.
        self.body_html, self.images_removed = images.figures_to_pictures(self.body, found)
        self.body_text = html_to_text(self.body_html)


class Topic(models.Model):
    """What an article is about; each topic has its own page listing its articles."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(
        "web address",
        max_length=80,
        unique=True,
        help_text="The end of the topic's address: /blog/topics/<this>/. Filled in from the name.",
    )
    description = models.TextField(
        blank=True,
        help_text="Optional. A sentence or two shown at the top of the topic's page.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("blog:topic", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Articles a reader may see now: published, with a publish date not in the future."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def related_to(self, article, topic_ids):
        """Up to RELATED_COUNT published articles: most topics in common first, then newest."""
        return (
            self.published()
            .exclude(pk=article.pk)
            .annotate(shared=Count("topics", filter=Q(topics__in=topic_ids)))
            .order_by("-shared", "-published_at", "-pk")[:RELATED_COUNT]
        )

    def search(self, words):
        """Published articles matching `words` (English stemming), title weighted over text.

        Each result carries `title_hit` and `text_hit`: safe HTML with the words found
        in <mark>.
        """
        query = SearchQuery(words, config=SEARCH_CONFIG, search_type="websearch")
        vector = (
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
            + SearchVector("body_text", weight="C", config=SEARCH_CONFIG)
        )
        options = {"config": SEARCH_CONFIG, "start_sel": _HIT_START, "stop_sel": _HIT_STOP}
        results = (
            self.published()
            .annotate(rank=SearchRank(vector, query))
            .filter(rank__gt=0)
            .annotate(
                title_headline=SearchHeadline("title", query, highlight_all=True, **options),
                text_headline=SearchHeadline(
                    "body_text", query, max_words=35, min_words=15, **options
                ),
            )
            .order_by("-rank", "-published_at")[:SEARCH_RESULTS]
        )
        for article in results:
            article.title_hit = _marked(article.title_headline)
            article.text_hit = _marked(article.text_headline)
            yield article


def _marked(headline):
    """PostgreSQL's headline as safe HTML: text escaped, found words in <mark>."""
    html = escape(headline).replace(_HIT_START, "<mark>").replace(_HIT_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - every other character was escaped just above


class Article(WrittenBody):
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
    topics = models.ManyToManyField(
        Topic,
        blank=True,
        related_name="articles",
        help_text="Optional. Readers can browse articles by topic; related articles share one.",
    )
    pending_changes = models.JSONField(
        "changes not yet published",
        default=dict,
        blank=True,
        editable=False,
        help_text="Changes to a live article saved as a draft: readers do not see them yet.",
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
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

    def render_body(self):
        super().render_body()
        self.reading_time = reading_minutes(self.body_text)

    @property
    def status_label(self):
        """Draft, Scheduled or Published, as the therapist's list shows it."""
        if self.status == self.Status.DRAFT:
            return "Draft"
        if self.published_at > timezone.now():
            return "Scheduled"
        return "Published"

    @property
    def image_for_sharing(self):
        """The social image's address, or "" (the templates then use the site's default)."""
        return self.social_image.url if self.social_image else ""

    def with_pending_changes(self):
        """This article as it will read once its draft of changes is published (unsaved)."""
        for name, value in self.pending_changes.items():
            setattr(self, name, value)
        if self.pending_changes:
            self.render_body()
        return self

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


class ArticleImage(models.Model):
    """A picture uploaded for articles, kept without its metadata, in the sizes pages need."""

    file = models.ImageField(
        "picture",
        upload_to="articles/images/",
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS), validate_upload_size],
        help_text=(
            "A JPEG, PNG or WebP photo, up to 15 MB. Where and when it was taken (its "
            "hidden details) is removed on upload."
        ),
    )
    alt_text = models.CharField(
        "description",
        max_length=250,
        blank=True,
        help_text=(
            "What the picture shows, in a sentence, for people who cannot see it "
            "(screen readers read it aloud)."
        ),
    )
    decorative = models.BooleanField(
        "only decorative",
        default=False,
        help_text="Tick this instead of a description when the picture adds nothing to the text.",
    )
    caption = models.CharField(
        max_length=300,
        blank=True,
        help_text="Optional. Shown under the picture, for example who took it.",
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    # [{"width", "height", "webp", "fallback"}], smallest first: made once, on upload.
    sizes = models.JSONField(editable=False, default=list)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = "picture"

    def __str__(self):
        return self.alt_text or self.caption or self.file.name.rsplit("/", 1)[-1]

    def save(self, *args, **kwargs):
        new_upload = not self.sizes
        if new_upload:
            upright = getattr(self, "_upright", None) or images.read_upright(self.file.read())
            content, extension = images.stripped_original(upright)
            # The stored original is the clean re-encoding, never the uploaded bytes.
            self.file.save(f"upload.{extension}", content, save=False)
            self.width, self.height = upright.size
        super().save(*args, **kwargs)
        if new_upload:
            self.sizes = self._make_sizes(upright)
            super().save(update_fields=["sizes"])

    def clean(self):
        if not self.decorative and not self.alt_text.strip():
            raise ValidationError(
                {
                    "alt_text": "Please describe the picture, or tick “only decorative” "
                    "if it adds nothing to the text."
                }
            )
        if self.file and not self.sizes:
            try:
                self._upright = images.read_upright(self.file.read())
            except images.TooManyPixels:
                raise ValidationError(
                    {
                        "file": "This picture has more pixels than a page can use. Please "
                        "choose a smaller version (under 40 megapixels)."
                    }
                ) from None
            except images.NotAnImage:
                raise ValidationError(
                    {
                        "file": "This file is not a picture we can read. Please upload a JPEG, PNG or WebP photo."
                    }
                ) from None
            finally:
                self.file.seek(0)

    def _make_sizes(self, upright):
        storage = self.file.storage
        folder = f"articles/images/{self.pk}"
        made = []
        for width, height, webp, fallback in images.renditions(upright):
            extension = images.fallback_format(upright).lower().replace("jpeg", "jpg")
            webp_name = storage.save(f"{folder}/{width}.webp", ContentFile(webp))
            fallback_name = storage.save(f"{folder}/{width}.{extension}", ContentFile(fallback))
            made.append(
                {
                    "width": width,
                    "height": height,
                    "webp": storage.url(webp_name),
                    "fallback": storage.url(fallback_name),
                }
            )
        return made

    def sources(self):
        return self.sizes

    @property
    def thumbnail_url(self):
        return self.sizes[0]["fallback"] if self.sizes else self.file.url


def _taken_by_site(slug):
    """Whether /<slug>/ is an address the site itself answers (the booking page, the
    admin, the notices...), or the start of one (media, static files)."""
    if slug in {"media", "static"}:
        return True
    try:
        match = resolve(f"/{slug}/")
    except Resolver404:
        return False
    return match.view_name != "blog:page"


class Page(WrittenBody):
    """An editable page: the four the site is built with (Slug), and any the therapist adds.

    An added page is at /<slug>/; the therapist links to it from an article, a page or
    the home text with the editor's link button.
    """

    class Slug(models.TextChoices):
        HOME = "home", "Home page introduction"
        ABOUT = "about", "About"
        PRIVACY = "privacy", "Privacy"
        ACCESSIBILITY = "accessibility", "Accessibility"

    slug = models.SlugField(
        "web address",
        max_length=80,
        unique=True,
        help_text="The end of the page's address: /<this>/. Filled in from the title.",
    )
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
    in_menu = models.BooleanField(
        "show in the menu",
        default=False,
        help_text=(
            "Adds a link to this page in the menu at the top of every page, after About. "
            "Keep the menu short: one or two added pages fit on a phone."
        ),
    )
    updated_at = models.DateTimeField("last changed", auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.Slug(self.slug).label if self.is_built_in else self.title

    def get_absolute_url(self):
        if self.slug == self.Slug.HOME:
            return reverse("blog:home")
        return reverse("blog:page", kwargs={"slug": self.slug})

    @property
    def is_built_in(self):
        """The site links to these four by name: they can be edited, not removed."""
        return self.slug in self.Slug.values

    def clean(self):
        if _taken_by_site(self.slug) or (self.slug == "home" and not self.pk):
            raise ValidationError(
                {"slug": f"“{self.slug}” is used by the site itself. Please pick another."}
            )
