"""Real photo files for tests: a JPEG and a PNG made with Pillow, carrying EXIF with a
GPS position (as a phone writes it), and a text file named like a photo."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFilter

GPS_IFD = 0x8825
CAMERA_MAKE = 0x010F


def _exif():
    exif = Image.Exif()
    exif[CAMERA_MAKE] = "PhoneCam"
    # Latitude and longitude, as degrees/minutes/seconds: where the photo was taken.
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    return exif


def photo_bytes(fmt="JPEG", size=(2000, 1333), color=(120, 150, 130)):
    """A photo-like picture: soft shapes and fine grain, which compress as a photo does."""
    channels = []
    for blur in (0.6, 0.8, 1.0):
        grain = Image.effect_noise(size, 60).filter(ImageFilter.GaussianBlur(blur))
        shapes = Image.effect_noise((size[0] // 30, size[1] // 30), 90).resize(size, Image.BICUBIC)
        channels.append(Image.blend(shapes, grain, 0.5))
    image = Image.blend(Image.merge("RGB", channels), Image.new("RGB", size, color), 0.3)
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=_exif())
    return buffer.getvalue()


def upload(name="lake.jpg", fmt="JPEG", **kwargs):
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png"}[fmt]
    return SimpleUploadedFile(name, photo_bytes(fmt, **kwargs), content_type=content_type)


def renamed_text_file():
    return SimpleUploadedFile("holiday.jpg", b"Not a picture at all.\n" * 20, "image/jpeg")


def has_location(data):
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(GPS_IFD)) or CAMERA_MAKE in exif
