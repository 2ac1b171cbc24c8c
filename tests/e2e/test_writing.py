"""The therapist writes an article in a real Chromium with the editor's toolbar alone:
a section title, a list, a link and a picture uploaded from the editor; previews it as
readers will see it; publishes it. Then a change to the live article is saved as a
draft of changes, which readers do not see until it is published.

Set SHOTS_DIR to keep screenshots of the editor (1280 and 375 px wide).
"""

import os
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from blog.models import Article
from tests.blog.pictures import photo_bytes
from tests.conftest import login_with_otp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-password-1"
TITLE = "Finding calm after a hard day"


@pytest.fixture
def site(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return live_server.url


def shot(page, name, full_page=True):
    if folder := os.environ.get("SHOTS_DIR"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=full_page)


def toolbar(page, name):
    return page.locator(f".prose-menubar [data-name='{name}']")


def write_the_article(page, site, tmp_path, with_picture=True):
    page.goto(f"{site}/admin/blog/article/add/")
    page.get_by_label("Title:").fill(TITLE)
    page.get_by_label("Summary:").fill("Small ways to settle your body in the evening.")

    editor = page.locator(".ProseMirror[contenteditable=true]")
    editor.click()
    page.keyboard.type("Evenings can feel long after a hard day.")
    page.keyboard.press("Enter")

    # A section title, from the block-type menu.
    page.locator(".prose-menubar__selected").click()
    page.locator(".prose-menubar__option[data-name='heading2']").click()
    page.keyboard.type("Three small things")
    page.keyboard.press("Enter")

    # A list, from the list button.
    toolbar(page, "bulletList").click()
    page.keyboard.type("Slow breathing")
    page.keyboard.press("Enter")
    page.keyboard.type("A warm drink")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # an empty item ends the list

    # A link: select the words, then the link button.
    page.keyboard.type("book a free consult")
    page.keyboard.press("Shift+Home")
    expect(toolbar(page, "link")).not_to_have_class(re.compile(r"\bdisabled\b"))
    toolbar(page, "link").click()
    page.locator("dialog[open] input[name=href]").fill("/consult/")
    page.locator("dialog[open] button[type=submit]").click()
    expect(editor.locator("a[href='/consult/']")).to_have_text("book a free consult")
    # The dialog hands focus back to the text before typing goes on. The editor does
    # that in an animation frame, which restores the selection: let it pass first, or
    # on a busy machine it comes after the keys below and Enter replaces the link.
    expect(editor).to_be_focused()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.keyboard.press("ArrowRight")  # the words stay selected: go past them
    page.keyboard.press("End")
    page.wait_for_function("getSelection().isCollapsed")
    expect(page.locator(".ProseMirror a[href='/consult/']")).to_have_count(1)
    page.keyboard.press("Enter")

    if with_picture:
        add_a_picture(page, editor, tmp_path)


def add_a_picture(page, editor, tmp_path):
    """A picture, uploaded from the editor's picture window."""
    toolbar(page, "figure").click()
    photo = tmp_path / "lake.jpg"
    photo.write_bytes(photo_bytes(size=(1000, 667)))
    with page.expect_popup() as popup_info:
        page.locator("dialog[open]").get_by_role("button", name="Browse...").click()
    popup = popup_info.value
    popup.get_by_label("Picture:").set_input_files(photo)
    popup.get_by_label("Description:").fill("A still lake at dusk.")
    popup.get_by_role("button", name="Upload").click()
    # Making the sizes takes a few seconds on a busy machine.
    popup.wait_for_event("close", timeout=120_000)
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("input[name=altText]")).to_have_value("A still lake at dusk.")
    dialog.locator("input[name=caption]").fill("The lake near the office.")
    dialog.locator("button[type=submit]").click()
    expect(editor.locator("figure img")).to_have_count(1)
    expect(editor.locator("a[href='/consult/']")).to_have_text("book a free consult")


def test_writing_previewing_and_publishing_with_the_toolbar(page, site, tmp_path):
    user = get_user_model().objects.create_superuser("therapist", "t@example.com", PASSWORD)
    login_with_otp(page, user, password=PASSWORD, base_url=site)
    page.set_viewport_size({"width": 1280, "height": 900})

    write_the_article(page, site, tmp_path)
    # The writing help sees the link and the picture and has nothing to warn about.
    expect(page.locator(".writing-help__time")).to_contain_text("Reading time: about 1 minute")
    expect(page.locator(".writing-help__hints li")).to_have_count(0)
    shot(page, "writing-1280")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    article = Article.objects.get(title=TITLE)
    assert article.status == Article.Status.DRAFT

    # The preview shows what readers will see.
    with page.expect_popup() as preview_info:
        page.get_by_role("link", name="Preview").click()
    preview = preview_info.value
    prose = preview.locator(".prose")
    expect(prose.locator("h2")).to_have_text("Three small things")
    expect(prose.locator("li")).to_have_text(["Slow breathing", "A warm drink"])
    expect(prose.get_by_role("link", name="book a free consult")).to_have_attribute(
        "href", "/consult/"
    )
    picture = prose.locator("picture img")
    expect(picture).to_have_attribute("alt", "A still lake at dusk.")
    expect(picture).to_have_attribute("srcset", re.compile(r"480w"))
    expect(prose.locator("figcaption")).to_have_text("The lake near the office.")
    preview.close()

    # Publish: readers see it.
    page.get_by_label("Status:").select_option("published")
    page.get_by_role("button", name="Save and continue editing").click()
    reader = page.context.browser.new_page()
    reader.goto(f"{site}{article.get_absolute_url()}")
    expect(reader.locator("h1")).to_have_text(TITLE)
    expect(reader.locator(".prose picture")).to_have_count(1)

    # A change to the live article, saved as a draft of changes: readers keep the old text.
    page.locator(".ProseMirror[contenteditable=true] p").first.click()
    page.keyboard.press("End")
    page.keyboard.type(" Be gentle with yourself.")
    page.get_by_role("button", name="Save as draft of changes").click()
    expect(page.locator(".messagelist")).to_contain_text("Readers still see the published")
    reader.reload()
    expect(reader.locator(".prose")).not_to_contain_text("Be gentle with yourself.")
    page.get_by_role("button", name="Save", exact=True).click()
    reader.reload()
    expect(reader.locator(".prose")).to_contain_text("Be gentle with yourself.")


def test_writing_on_a_phone(page, site, tmp_path):
    user = get_user_model().objects.create_superuser("therapist", "t@example.com", PASSWORD)
    login_with_otp(page, user, password=PASSWORD, base_url=site)
    page.set_viewport_size({"width": 375, "height": 812})
    # The picture window is the desktop test's; here, the toolbar on a narrow screen.
    write_the_article(page, site, tmp_path, with_picture=False)
    # The toolbar and the text fit the phone's width: nothing to scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    shot(page, "writing-375")
    page.locator(".prose-menubar").first.scroll_into_view_if_needed()
    page.mouse.wheel(0, -60)
    shot(page, "writing-375-editor", full_page=False)


WORD_PASTE = """<p class=MsoNormal><span style='font-family:Calibri'>From Word<o:p></o:p></span></p>
<p class=MsoListParagraphCxSpFirst style='mso-list:l0 level1 lfo1'><span style='mso-list:Ignore'>·<span>&nbsp;&nbsp;</span></span>First point</p>
<p class=MsoListParagraphCxSpLast style='mso-list:l0 level1 lfo1'><span style='mso-list:Ignore'>·<span>&nbsp;&nbsp;</span></span>Second point</p>
<h2 style='color:red'>A heading</h2>
<p class=MsoNormal><a href="https://988lifeline.org/">988 Lifeline</a></p>"""


def test_pasting_from_word_keeps_headings_lists_and_links(page, site):
    user = get_user_model().objects.create_superuser("therapist", "t@example.com", PASSWORD)
    login_with_otp(page, user, password=PASSWORD, base_url=site)
    page.goto(f"{site}/admin/blog/article/add/")
    editor = page.locator(".ProseMirror[contenteditable=true]")
    editor.click()
    page.evaluate(
        """(html) => {
            const data = new DataTransfer();
            data.setData("text/html", html);
            data.setData("text/plain", "From Word");
            document.querySelector(".ProseMirror[contenteditable=true]").dispatchEvent(
                new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })
            );
        }""",
        WORD_PASTE,
    )
    expect(editor.locator("ul li")).to_have_text(["First point", "Second point"])
    expect(editor.locator("h2")).to_have_text("A heading")
    expect(editor.get_by_role("link", name="988 Lifeline")).to_have_count(1)
    stored = page.locator("textarea[name=body]").input_value()
    assert "mso" not in stored
    assert "style=" not in stored
    assert "·" not in stored
