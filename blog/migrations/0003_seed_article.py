"""Publish the therapist's first article from blog/content/when-closeness-feels-unsafe.md.

The Markdown file in the repository is the source; its `# Title` line becomes the
article's title (the page template shows it as the h1) and the rest is the body.
"""

import datetime
from pathlib import Path

from django.db import migrations

from blog.markup import body_fields, reading_minutes, split_title

SLUG = "when-closeness-feels-unsafe"
SOURCE = Path(__file__).resolve().parent.parent / "content" / f"{SLUG}.md"
PUBLISHED_AT = datetime.datetime(2025, 1, 15, 14, 0, tzinfo=datetime.UTC)

# Both in the article's own words.
SUMMARY = (
    "For many people who’ve experienced trauma, especially relational trauma, intimacy "
    "can feel threatening. Even if you long for connection, your body might pull away. "
    "This isn’t about being avoidant or damaged. It’s often a trauma response. And it "
    "makes sense."
)
SEO_DESCRIPTION = (
    "Even if you long for connection, your body might pull away. Intimacy after trauma: "
    "the nervous system, attachment, and healing on your own terms."
)


def publish_article(apps, schema_editor):
    Article = apps.get_model("blog", "Article")
    title, body = split_title(SOURCE.read_text(encoding="utf-8"))
    article, _ = Article.objects.update_or_create(
        slug=SLUG,
        defaults={
            "title": title,
            "summary": SUMMARY,
            "seo_description": SEO_DESCRIPTION,
            **body_fields(Article, body),
            "reading_time": reading_minutes(body),
            "status": "published",
            "published_at": PUBLISHED_AT,
        },
    )
    # Unchanged since publication: "last changed" says so, not the migration's date.
    Article.objects.filter(pk=article.pk).update(updated_at=PUBLISHED_AT)


def unpublish_article(apps, schema_editor):
    apps.get_model("blog", "Article").objects.filter(slug=SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("blog", "0002_create_pages")]

    operations = [migrations.RunPython(publish_article, unpublish_article)]
