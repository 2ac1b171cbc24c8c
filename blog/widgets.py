"""The article editor in the admin: django-prose-editor's editor, loaded without an
import map so it runs under the site's CSP (script-src 'self', no inline script).

django-prose-editor's own widget media includes an inline <script type="importmap">,
which the policy refuses. static/blog/editor.js imports the editor module by its
address instead, so every script is a file served from the site.
"""

from django.forms import Media, Script
from django.urls import reverse_lazy
from django_prose_editor.widgets import AdminProseEditorWidget

PRESET = "article"

# What the toolbar offers. Anything else pasted in is dropped by the editor, and
# blog.markup's sanitiser decides again on save.
EXTENSIONS = {
    "Heading": {"levels": [2, 3, 4]},
    "Bold": True,
    "Italic": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "HardBreak": True,
    "Link": {"enableTarget": False},
    "Figure": {"pickerUrl": reverse_lazy("admin:blog_articleimage_picker")},
    "Caption": True,
    "Image": True,
    "History": True,
}


class ArticleEditorWidget(AdminProseEditorWidget):
    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, config={"extensions": EXTENSIONS}, preset=PRESET)

    @property
    def media(self):
        return Media(
            css={
                "all": [
                    "django_prose_editor/material-icons.css",
                    "django_prose_editor/editor.css",
                    "django_prose_editor/overrides.css",
                    "blog/editor.css",
                ]
            },
            js=[Script("blog/editor.js", type="module")],
        )
