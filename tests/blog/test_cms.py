"""Writing like a CMS: versions compared and restored, drafts of changes readers do not
see, the list's statuses, and pages the therapist adds."""

import pytest
import reversion
from django.contrib.auth import get_user_model
from reversion.models import Version

from blog.models import Article, Page
from tests.conftest import login_with_otp

from .builders import days_from_now, make_article, make_draft

pytestmark = pytest.mark.django_db

ADMIN = "/admin/blog"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("therapist", "t@example.test", "pw")
    return login_with_otp(client, user)


def article_form(article, **changes):
    data = {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary,
        "body": article.body,
        "status": article.status,
        "published_at_0": article.published_at.strftime("%Y-%m-%d"),
        "published_at_1": article.published_at.strftime("%H:%M:%S"),
        "seo_description": article.seo_description,
        "social_image_alt": "",
        "old_slugs-TOTAL_FORMS": "0",
        "old_slugs-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_every_save_keeps_a_version_with_who_and_what(admin_client):
    article = make_article(body="<p>First words.</p>")
    url = f"{ADMIN}/article/{article.pk}/change/"
    admin_client.post(url, article_form(article, body="<p>Second words.</p>"))
    admin_client.post(url, article_form(article, body="<p>Third words.</p>"))

    versions = Version.objects.get_for_object(article)
    assert versions.count() == 2
    assert versions[0].revision.user.username == "therapist"
    assert "Changed" in versions[0].revision.get_comment()
    history = admin_client.get(f"{ADMIN}/article/{article.pk}/history/").content.decode()
    assert "Compare two versions" in history


def test_two_versions_compared_show_what_changed(admin_client):
    article = make_article(body="<p>Calm words.</p>")
    url = f"{ADMIN}/article/{article.pk}/change/"
    admin_client.post(url, article_form(article, body="<p>Calm words.</p><p>A new line.</p>"))
    admin_client.post(url, article_form(article, title="A new title"))
    older, _ = Version.objects.get_for_object(article).order_by("pk")

    page = admin_client.get(
        f"{ADMIN}/article/{article.pk}/history/compare/?from={older.pk}"
    ).content.decode()

    assert '<ins><span class="visually-hidden">Added: </span>A new title</ins>' in page
    assert "Restore the earlier version" in page


def test_a_version_is_restored(admin_client):
    article = make_article(title="Original", body="<p>The first text.</p>")
    url = f"{ADMIN}/article/{article.pk}/change/"
    admin_client.post(url, article_form(article))
    admin_client.post(url, article_form(article, title="Rewritten", body="<p>Other.</p>"))
    first = Version.objects.get_for_object(article).order_by("pk").first()

    # The revision page shows the old version in the form; saving it restores it.
    revision_url = f"{ADMIN}/article/{article.pk}/history/{first.pk}/"
    assert admin_client.get(revision_url).status_code == 200
    admin_client.post(
        revision_url, article_form(article, title="Original", body=first.field_dict["body"])
    )

    article.refresh_from_db()
    assert article.title == "Original"
    assert "The first text." in article.body_html


def test_a_deleted_article_asks_first_and_can_be_recovered(admin_client):
    with reversion.create_revision():
        article = make_article(title="Gone for a while")
    delete_url = f"{ADMIN}/article/{article.pk}/delete/"
    assert "Are you sure" in admin_client.get(delete_url).content.decode()
    admin_client.post(delete_url, {"post": "yes"})
    assert not Article.objects.filter(title="Gone for a while").exists()

    recover = admin_client.get(f"{ADMIN}/article/recover/").content.decode()
    assert "Gone for a while" in recover
    version = Version.objects.get_deleted(Article).get()
    admin_client.post(f"{ADMIN}/article/recover/{version.pk}/", article_form(article))
    assert Article.objects.filter(title="Gone for a while").exists()


def test_a_draft_of_changes_is_invisible_to_readers_until_published(
    admin_client, client, django_capture_on_commit_callbacks
):
    article = make_article(title="Live", body="<p>What readers see.</p>")
    url = f"{ADMIN}/article/{article.pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url, article_form(article, body="<p>A better sentence.</p>", _save_pending="1")
        )

    reader = client.get(article.get_absolute_url()).content.decode()
    assert "What readers see." in reader
    assert "A better sentence." not in reader
    preview = admin_client.get(article.get_preview_url())
    assert "A better sentence." in preview.content.decode()
    assert "changes not yet published" in preview.content.decode()
    assert "no-cache" in preview["Cache-Control"]
    # The form opens on the draft the therapist is working on.
    assert "A better sentence." in admin_client.get(url).content.decode()
    listing = admin_client.get(f"{ADMIN}/article/").content.decode()
    assert "changes not yet published" in listing

    # Publishing forgets the kept pages once committed, as any save does (core.pages).
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, article_form(article, body="<p>A better sentence.</p>"))

    assert "A better sentence." in client.get(article.get_absolute_url()).content.decode()
    article.refresh_from_db()
    assert article.pending_changes == {}


def test_the_list_says_draft_scheduled_or_published(admin_client):
    make_draft(title="Drafting")
    make_article(title="Tomorrow", published_at=days_from_now(1))
    make_article(title="Out")
    content = admin_client.get(f"{ADMIN}/article/").content.decode()
    assert "Draft" in content
    assert "Scheduled for" in content
    assert "Published" in content


def test_view_on_site_of_a_draft_opens_its_preview(admin_client):
    draft = make_draft()
    response = admin_client.get(f"{ADMIN}/article/{draft.pk}/change/")
    assert f'href="{draft.get_preview_url()}" class="viewsitelink"' in response.content.decode()


def test_the_therapist_adds_a_page_and_can_delete_it(admin_client, client):
    response = admin_client.post(
        f"{ADMIN}/page/add/",
        {"title": "Fees", "slug": "fees", "body": "<p>Sessions are $120.</p>"},
    )
    assert response.status_code == 302
    assert "Sessions are $120." in client.get("/fees/").content.decode()
    fees = Page.objects.get(slug="fees")
    assert admin_client.get(f"{ADMIN}/page/{fees.pk}/delete/").status_code == 200


def test_an_added_page_can_be_put_in_the_menu_at_the_top(admin_client, client, committed):
    def menu(path):
        page = client.get(path).content.decode()
        return page.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]

    def save(in_menu):
        data = {"title": "Fees", "slug": "fees", "body": "<p>Sessions are $120.</p>"}
        fees = Page.objects.filter(slug="fees").first()
        url = f"{ADMIN}/page/{fees.pk}/change/" if fees else f"{ADMIN}/page/add/"
        response = admin_client.post(url, {**data, "in_menu": "on"} if in_menu else data)
        assert response.status_code == 302

    committed(lambda: save(in_menu=True))
    assert '<a href="/fees/">Fees</a>' in menu("/")
    assert '<a href="/fees/" aria-current="page">Fees</a>' in menu("/fees/")
    assert menu("/").index("About") < menu("/").index("Fees")

    committed(lambda: save(in_menu=False))
    assert "Fees" not in menu("/")
    assert "Fees" not in menu("/blog/")


def test_the_built_in_pages_do_not_offer_the_menu_choice(admin_client):
    about = Page.objects.get(slug="about")
    response = admin_client.get(f"{ADMIN}/page/{about.pk}/change/")
    assert "Show in the menu" not in response.content.decode()


@pytest.mark.parametrize(
    "slug", ["blog", "consult", "admin", "good-faith-estimate", "consumer-health-data", "media"]
)
def test_a_page_cannot_take_an_address_the_site_uses(admin_client, slug):
    response = admin_client.post(f"{ADMIN}/page/add/", {"title": "X", "slug": slug, "body": ""})
    assert "is used by the site itself" in response.content.decode()
