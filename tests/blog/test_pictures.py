"""Pictures in articles: uploads lose their metadata, get the sizes pages need, and
reach the page as <picture> with srcset, sizes, width and height; non-pictures are
refused in plain words."""

from pathlib import Path

import pytest
from django.conf import settings

from blog.models import Article, ArticleImage

from .builders import make_article
from .html import parse
from .pictures import has_location, photo_bytes, renamed_text_file, upload

pytestmark = pytest.mark.django_db

PICKER = "/admin/blog/articleimage/picker/"


def add_picture(admin_client, file, **fields):
    data = {"file": file, "alt_text": "A quiet lake at dawn.", "caption": "", **fields}
    return admin_client.post(f"{PICKER}?CKEditorFuncNum=1", data)


@pytest.mark.parametrize(("name", "fmt"), [("lake.jpg", "JPEG"), ("lake.png", "PNG")])
def test_an_upload_loses_its_location_and_gets_every_size(admin_client, name, fmt):
    assert has_location(photo_bytes(fmt))  # the test photo does carry one

    response = add_picture(admin_client, upload(name, fmt))

    assert response.status_code == 302
    picture = ArticleImage.objects.get()
    assert not has_location(Path(picture.file.path).read_bytes())
    assert [s["width"] for s in picture.sizes] == [480, 800, 1200, 1600]
    for size in picture.sizes:
        for key in ("webp", "fallback"):
            stored = Path(settings.MEDIA_ROOT) / size[key].removeprefix(settings.MEDIA_URL)
            assert stored.exists()
            assert not has_location(stored.read_bytes())
    assert (picture.width, picture.height) == (2000, 1333)


def test_a_small_picture_is_not_enlarged(admin_client):
    add_picture(admin_client, upload(size=(600, 400)))
    assert [s["width"] for s in ArticleImage.objects.get().sizes] == [480, 600]


def test_a_text_file_named_like_a_photo_is_refused_plainly(admin_client):
    response = add_picture(admin_client, renamed_text_file())
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert not ArticleImage.objects.exists()


def test_a_file_too_large_is_refused_plainly(admin_client, monkeypatch):
    monkeypatch.setattr("blog.images.MAX_UPLOAD_BYTES", 1024)
    response = add_picture(admin_client, upload())
    assert "larger than" in response.content.decode()
    assert not ArticleImage.objects.exists()


def test_a_picture_needs_a_description_or_to_be_marked_decorative(admin_client):
    response = add_picture(admin_client, upload(), alt_text="")
    assert "Please describe the picture" in response.content.decode()
    assert not ArticleImage.objects.exists()
    add_picture(admin_client, upload(), alt_text="", decorative="on")
    assert ArticleImage.objects.get().decorative


def test_the_picker_hands_a_new_picture_back_to_the_editor(admin_client):
    response = add_picture(admin_client, upload())
    picture = ArticleImage.objects.get()
    page = admin_client.get(response["Location"]).content.decode()
    assert f'data-id="{picture.pk}"' in page
    assert "data-just-uploaded" in page


def picture_in_article(admin_client, *extra_blocks):
    add_picture(admin_client, upload())
    picture = ArticleImage.objects.get()
    body = "".join(extra_blocks) + (
        f'<figure><img src="{picture.sizes[0]["fallback"]}" alt="" data-file="{picture.pk}">'
        "<figcaption>Morning.</figcaption></figure>"
    )
    return make_article(body=body), picture


def test_the_page_gets_sizes_srcset_and_dimensions(admin_client, client):
    article, _ = picture_in_article(admin_client)
    doc = parse(client.get(article.get_absolute_url()))
    figure = doc.find("div", class_="prose").find("figure")
    source = figure.find("source")
    img = figure.find("img")

    assert source.attrs["type"] == "image/webp"
    assert source.attrs["srcset"].count("w,") == 3
    assert img.attrs["srcset"].count(".jpg") == 4
    assert img.attrs["sizes"] == source.attrs["sizes"]
    assert (img.attrs["width"], img.attrs["height"]) == ("1600", "1066")
    # An empty alt in the editor falls back to the picture's own description.
    assert img.attrs["alt"] == "A quiet lake at dawn."
    assert figure.find("figcaption").text() == "Morning."
    # The first block of the article is on the first screen: no lazy loading there.
    assert img.attrs["loading"] == "eager"


def test_a_picture_further_down_loads_lazily(admin_client, client):
    article, _ = picture_in_article(admin_client, *["<p>Words.</p>"] * 5)
    img = parse(client.get(article.get_absolute_url())).find("div", class_="prose").find("img")
    assert img.attrs["loading"] == "lazy"


def test_an_image_from_elsewhere_is_removed_and_the_therapist_told(admin_client):
    response = admin_client.post(
        "/admin/blog/article/add/",
        {
            "title": "With a pasted picture",
            "slug": "with-a-pasted-picture",
            "summary": "A summary.",
            "body": '<p>Text.</p><img src="https://elsewhere.example/x.jpg" alt="x">',
            "status": "draft",
            "published_at_0": "2025-01-01",
            "published_at_1": "09:00:00",
            "old_slugs-TOTAL_FORMS": "0",
            "old_slugs-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert "could not be kept" in response.content.decode()
    assert "elsewhere" not in Article.objects.get(slug="with-a-pasted-picture").body_html


def test_a_picture_with_too_many_pixels_is_refused_plainly(admin_client, monkeypatch):
    monkeypatch.setattr("blog.images.MAX_PIXELS", 1000 * 1000)
    response = add_picture(admin_client, upload(size=(1200, 1000)))
    assert "more pixels than a page can use" in response.content.decode()
    assert not ArticleImage.objects.exists()
