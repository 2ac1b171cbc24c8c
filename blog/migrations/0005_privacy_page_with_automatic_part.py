"""The privacy page's starting text makes room for its automatic part.

What the site does with visitors' information (what a consult request keeps, for how
long, who handles it, cookies) is now written on the page from the settings
(consults/_privacy_facts.html). The old placeholder said the same by hand and asked for
the retention period to be typed in; it is replaced only while still unedited, so a
therapist's own words are never overwritten.
"""

import importlib

from django.db import migrations

from blog.markup import body_fields, html_to_text, render_markdown

OLD = next(
    page["body_markdown"]
    for page in importlib.import_module("blog.migrations.0002_create_pages").PAGES
    if page["slug"] == "privacy"
)

NEW = (
    "*This is placeholder text. Please replace it in the admin: Articles and pages → "
    "Pages → Privacy.* Please read the whole page, including the part below that the "
    "website writes itself from your settings, add what applies to your practice, and "
    "have it checked against the rules where you work. Then remove this note.\n\n"
    "## Your privacy\n\n"
    "Reaching out to a therapist is personal. This website asks for as little as it can, "
    "keeps it only as long as it needs to, and uses it for one thing: replying to you and "
    "arranging a first conversation.\n\n"
    "## If we work together\n\n"
    "Once you become a client, your records are kept separately from this website, under "
    "the rules for health records where I practise. I will explain how when we meet. "
    "(Please edit, or remove this section.)"
)


def _words(text):
    return " ".join(text.split())


def _swap(apps, old, new):
    """Put `new` in place of `old`, only if the page still says `old` word for word."""
    Page = apps.get_model("blog", "Page")
    page = Page.objects.filter(slug="privacy").first()
    if page and _words(page.body_text) == _words(html_to_text(render_markdown(old))):
        Page.objects.filter(pk=page.pk).update(**body_fields(Page, new))


def forwards(apps, schema_editor):
    _swap(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _swap(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("blog", "0004_editor_images_topics")]

    operations = [migrations.RunPython(forwards, backwards)]
