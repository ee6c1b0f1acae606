"""Images in posts: what an upload must be, its renditions, and their metadata.

The checks and the resizing (``blog.images``) on bytes made in memory; the editor,
the pages, the permissions and storage are in ``test_images_pages.py``.
"""

from __future__ import annotations

import collections
import io
import random

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from blog import images
from tests.support.images import (
    GPS_IFD,
    HTML_AS_PNG,
    SVG,
    TEXT,
    animated_gif,
    gps_exif,
    image_bytes,
    png_claiming,
)


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_accepted_format_gets_webp_renditions_at_480_960_and_1600(fmt) -> None:
    prepared = images.image_prepare(image_bytes(fmt, (2000, 1000)))

    assert prepared.format == fmt
    assert (prepared.width, prepared.height) == (2000, 1000)
    assert opened(prepared.original).format == fmt
    sizes = [(r.width, r.height) for r in prepared.renditions]
    assert sizes == [(480, 240), (960, 480), (1600, 800)]
    for rendition in prepared.renditions:
        decoded = opened(rendition.content)
        assert decoded.format == "WEBP"
        assert decoded.size == (rendition.width, rendition.height)


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (300, [300]),
        (480, [480]),
        (700, [480, 700]),
        (1600, [480, 960, 1600]),
        (5000, [480, 960, 1600]),
    ],
)
def test_renditions_are_never_wider_than_the_image(width, expected) -> None:
    prepared = images.image_prepare(image_bytes("PNG", (width, 100)))

    assert [r.width for r in prepared.renditions] == expected
    assert images.rendition_widths(width, 100) == expected


def test_a_tall_strip_gets_renditions_webp_can_hold() -> None:
    prepared = images.image_prepare(image_bytes("PNG", (1000, 40_000)))

    assert [(r.width, r.height) for r in prepared.renditions] == [(409, 16_360)]
    assert opened(prepared.renditions[0].content).size == (409, 16_360)


def test_exif_with_gps_is_stripped_and_the_orientation_applied() -> None:
    # Orientation 6: the camera was turned; the picture is shown rotated 90°.
    upload = image_bytes("JPEG", (1200, 800), exif=gps_exif(orientation=6))
    assert opened(upload).getexif().get_ifd(GPS_IFD)  # the upload has a position

    prepared = images.image_prepare(upload)

    assert (prepared.width, prepared.height) == (800, 1200)  # upright
    for data in [prepared.original, *(r.content for r in prepared.renditions)]:
        decoded = opened(data)
        assert not decoded.getexif(), decoded.getexif()
        assert b"Exif" not in data
        assert b"CameraMaker" not in data
        assert decoded.height > decoded.width
    assert [(r.width, r.height) for r in prepared.renditions] == [(480, 720), (800, 1200)]


def test_an_animated_gif_keeps_its_frames() -> None:
    prepared = images.image_prepare(animated_gif((600, 300), frames=4))

    assert opened(prepared.original).n_frames == 4
    assert [(r.width, r.height) for r in prepared.renditions] == [(480, 240), (600, 300)]
    assert all(opened(r.content).n_frames == 4 for r in prepared.renditions)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (SVG, "SVG"),
        (TEXT, "a text file renamed .png"),
        (HTML_AS_PNG, "HTML behind PNG's signature"),
    ],
)
def test_what_is_not_a_real_image_is_refused(data, what) -> None:
    with pytest.raises(ValidationError) as refused:
        images.image_check(data)

    assert refused.value.code == "not_an_image", what
    assert "not a JPEG, PNG, WebP or GIF" in refused.value.messages[0]


def test_a_truncated_image_is_refused_not_a_server_error() -> None:
    data = image_bytes("PNG", (400, 400))

    with pytest.raises(ValidationError) as refused:
        images.image_prepare(data[: len(data) // 2])

    assert refused.value.code in {"not_an_image", "damaged"}


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        images.image_check(b"")

    assert refused.value.code == "empty"


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened(settings) -> None:
    data = image_bytes("PNG", (300, 300))
    settings.BLOG_IMAGE_MAX_BYTES = len(data) - 1

    with pytest.raises(ValidationError) as refused:
        images.image_check(data)

    assert refused.value.code == "too_large"


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8_000, 8_000),  # 64 megapixels: over our limit, under Pillow's own
        (30_000, 30_000),  # 900 megapixels: over Pillow's too
        (65_535, 65_535),
    ],
)
def test_a_decompression_bomb_is_refused_from_its_header(width, height) -> None:
    data = png_claiming(width, height)
    assert len(data) < 200  # a few bytes claiming gigabytes of pixels

    with pytest.raises(ValidationError) as refused:
        images.image_prepare(data)

    assert refused.value.code == "too_many_pixels"
    assert "more than 40 megapixels" in refused.value.messages[0]


def test_the_pixel_limit_counts_every_frame(settings) -> None:
    settings.BLOG_IMAGE_MAX_PIXELS = 600 * 300 * 3

    images.image_check(animated_gif((600, 300), frames=3))
    with pytest.raises(ValidationError) as refused:
        images.image_check(animated_gif((600, 300), frames=4))

    assert refused.value.code == "too_many_pixels"


def test_the_pixel_limit_is_the_setting(settings) -> None:
    data = image_bytes("PNG", (100, 100))
    settings.BLOG_IMAGE_MAX_PIXELS = 100 * 100

    images.image_check(data)
    settings.BLOG_IMAGE_MAX_PIXELS = 100 * 100 - 1
    with pytest.raises(ValidationError):
        images.image_check(data)


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [("PNG", "1"), ("PNG", "LA"), ("PNG", "P"), ("PNG", "I;16"), ("JPEG", "L"), ("JPEG", "CMYK")],
)
def test_every_colour_mode_gets_renditions(fmt, mode) -> None:
    out = io.BytesIO()
    Image.new(mode, (600, 400)).save(out, format=fmt)

    prepared = images.image_prepare(out.getvalue())

    assert [(r.width, r.height) for r in prepared.renditions] == [(480, 320), (600, 400)]
    assert opened(prepared.original).format == fmt


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's "Corrupt EXIF data" and the like
def test_corrupted_images_are_refused_or_accepted_never_a_server_error() -> None:
    # Seeded byte flips and cuts of each format: Pillow raised IndexError and
    # struct.error on some of these before every exception became a refusal.
    rng = random.Random(1)
    seeds = [
        image_bytes("JPEG", (300, 200), exif=gps_exif(orientation=6)),
        image_bytes("PNG", (300, 200)),
        image_bytes("WEBP", (300, 200)),
        image_bytes("GIF", (300, 200)),
        animated_gif((100, 80), frames=3),
    ]
    outcomes = collections.Counter()
    for _ in range(400):
        data = bytearray(rng.choice(seeds))
        for _flip in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]
        try:
            images.image_prepare(bytes(data))
        except ValidationError as refused:
            outcomes[refused.code] += 1
        else:
            outcomes["accepted"] += 1

    assert set(outcomes) <= {"accepted", "damaged", "not_an_image", "too_many_pixels", "empty"}
    assert outcomes["damaged"] and outcomes["not_an_image"] and outcomes["accepted"]
