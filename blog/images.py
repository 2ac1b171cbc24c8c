"""Pictures in articles: what an upload becomes, and the markup readers get.

An upload is read with Pillow, turned upright, and written again without its metadata
(a phone photo's EXIF carries where it was taken). The site then makes the widths a
phone and a laptop need, each as WebP with a JPEG (or PNG, when it has transparency)
beside it for browsers without WebP. The body keeps a plain <img data-file="ID">, as
the editor wrote it; `figures_to_pictures` swaps each one for a <picture> with srcset,
sizes, width and height on save, so a page view does no image work.
"""

import io
import re
from html.parser import HTMLParser

from django.core.files.base import ContentFile
from django.utils.html import format_html
from PIL import Image, ImageOps

# What a reader's screen needs: a phone (1x, 2x) and the article column on a laptop
# (about 42rem, 1x and 2x). No width above the original is made.
WIDTHS = (480, 800, 1200, 1600)
# The article column: full width on a phone, about 42rem beside it on a wider screen.
SIZES = "(min-width: 46rem) 42rem, 100vw"
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Photos in more pixels than this are refused before they are decoded (about 40 MP).
MAX_PIXELS = 40_000_000
# An image among the first few blocks of an article is on the first screen: it loads
# at once. Every later one loads as the reader scrolls near it.
EAGER_BLOCKS = 3
QUALITY = {"WEBP": 78, "JPEG": 80}


class NotAnImage(ValueError):
    """The upload is not a picture Pillow can read."""


class TooManyPixels(ValueError):
    """The picture is larger than any page needs, and costly to decode."""


def _has_alpha(image):
    return image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)


def read_upright(data):
    """The picture in `data`, turned as the camera meant, with no metadata left."""
    try:
        # Opening reads the header only: the size is known before any pixel is decoded.
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
            size = probe.size
    except Image.DecompressionBombError as error:
        raise TooManyPixels(str(error)) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise NotAnImage(str(error)) from error
    if size[0] * size[1] > MAX_PIXELS:
        raise TooManyPixels(size)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, SyntaxError, ValueError) as error:
        raise NotAnImage(str(error)) from error
    image = ImageOps.exif_transpose(image)
    # A new image from the pixels alone: no EXIF, XMP, ICC comments or text chunks.
    clean = Image.new("RGBA" if _has_alpha(image) else "RGB", image.size, (255, 255, 255, 0))
    clean.paste(image.convert(clean.mode))
    return clean


def encode(image, fmt):
    buffer = io.BytesIO()
    options = {"quality": QUALITY[fmt]} if fmt in QUALITY else {"optimize": True}
    if fmt == "JPEG":
        options.update(progressive=True, optimize=True)
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def fallback_format(image):
    return "PNG" if image.mode == "RGBA" else "JPEG"


def renditions(image):
    """[(width, height, webp bytes, fallback bytes)] for every width worth making."""
    widths = [w for w in WIDTHS if w < image.width] + [min(image.width, WIDTHS[-1])]
    made = []
    for width in sorted(set(widths)):
        height = round(image.height * width / image.width)
        resized = image if width == image.width else image.resize((width, height), Image.LANCZOS)
        made.append(
            (width, height, encode(resized, "WEBP"), encode(resized, fallback_format(image)))
        )
    return made


def stripped_original(image):
    """The upload itself, re-encoded without metadata, as a file to keep."""
    fmt = fallback_format(image)
    return ContentFile(encode(image, fmt)), fmt.lower().replace("jpeg", "jpg")


class _ImgAttributes(HTMLParser):
    def handle_starttag(self, tag, attrs):
        self.attrs = dict(attrs)


def _attributes(tag):
    parser = _ImgAttributes()
    parser.feed(tag)
    return parser.attrs


_IMG = re.compile(r"<img\b[^>]*>")
_BLOCK_START = re.compile(r"<(p|h2|h3|h4|ul|ol|blockquote|figure|pre|table|hr)\b")


def picture(image, alt, eager):
    """A <picture> for an ArticleImage: WebP and fallback srcsets, no layout shift."""
    sources = image.sources()
    largest = sources[-1]
    middle = next((s for s in sources if s["width"] >= 800), largest)
    return format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}">'
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" '
        'loading="{}" decoding="async"></picture>',
        ", ".join(f"{s['webp']} {s['width']}w" for s in sources),
        SIZES,
        middle["fallback"],
        ", ".join(f"{s['fallback']} {s['width']}w" for s in sources),
        SIZES,
        largest["width"],
        largest["height"],
        alt,
        "eager" if eager else "lazy",
    )


def figures_to_pictures(html, images):
    """Swap each <img data-file="ID"> of a cleaned body for its <picture>.

    `images` maps an id to an ArticleImage. An <img> that is not one of them (pasted
    from another site or a document) is removed: pages load nothing from elsewhere.
    Returns (html, number of images removed).
    """
    removed = 0

    def replace(match):
        nonlocal removed
        attrs = _attributes(match.group(0))
        image = images.get(str(attrs.get("data-file", "")))
        if image is None:
            removed += 1
            return ""
        alt = attrs.get("alt") or ("" if image.decorative else image.alt_text)
        blocks_before = len(_BLOCK_START.findall(html, 0, match.start()))
        return picture(image, alt, eager=blocks_before <= EAGER_BLOCKS)

    result = _IMG.sub(replace, html)
    # A figure whose picture was removed would be an empty frame or a lone caption.
    result = re.sub(r"<figure>\s*(<figcaption>.*?</figcaption>)?\s*</figure>", "", result)
    return result, removed


def image_ids(html):
    """The ArticleImage ids a cleaned body refers to."""
    return {_attributes(tag).get("data-file", "") for tag in _IMG.findall(html or "")} - {""}
