"""Images in posts: checking an upload and making its renditions (docs/blog.md, "Images").

Pure functions on bytes; ``blog.services`` stores what they return through Django's
storage API and writes the rows. Every limit is checked before a pixel is decoded:

1. the size (``BLOG_IMAGE_MAX_BYTES``), also bounded while the upload is still
   arriving (``ImageUploadLimitHandler``);
2. Pillow must recognise the bytes as JPEG, PNG, WebP or GIF (an SVG, HTML or text file
   renamed ``.png`` is not one), then ``verify()`` them;
3. the header's width x height x frames must be at most ``BLOG_IMAGE_MAX_PIXELS``
   (a decompression bomb is a form error, never a 500 or minutes of work);
4. only then is the image reopened and decoded, turned upright (EXIF orientation) and
   written again without its metadata: the stored "original" and every rendition carry
   no EXIF, GPS, XMP or comment, only the colour profile.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, ImageSequence

# The widths a rendition is made at (never wider than the image itself): phones,
# the page's column on a laptop, and a 2x screen.
RENDITION_WIDTHS = (480, 960, 1600)
# Pillow's format name → (the stored file's extension, its Content-Type).
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
}
CONTENT_TYPES = {extension: content_type for extension, content_type in FORMATS.values()}
# WebP's largest width or height.
WEBP_MAX_SIDE = 16_383


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    content: bytes
    extension: str = "webp"


@dataclass(frozen=True)
class PreparedImage:
    """An accepted upload: the original written again without metadata, and its
    renditions, widest last."""

    format: str
    width: int
    height: int
    original: bytes
    renditions: list[Rendition] = field(default_factory=list)

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]


def _refuse(message, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params)


def image_check(data: bytes) -> tuple[str, int, int, int]:
    """(format, width, height, frames) of an acceptable image; a ValidationError
    saying why otherwise. Decodes no pixel."""
    max_bytes = settings.BLOG_IMAGE_MAX_BYTES
    if len(data) > max_bytes:
        raise _refuse(
            _("The image is larger than %(max)s MB."), "too_large", max=_megabytes(max_bytes)
        )
    if not data:
        raise _refuse(_("The file is empty."), "empty")
    not_an_image = _refuse(
        _("This is not a JPEG, PNG, WebP or GIF image (SVG is not accepted)."), "not_an_image"
    )
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns, or raises past twice its limit; ours is below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                fmt, (width, height) = image.format, image.size
                frames = getattr(image, "n_frames", 1)
                _check_pixels(width, height, frames)
                image.verify()
        except ValidationError:
            raise
        except Image.DecompressionBombError as error:
            raise _too_many_pixels() from error
        except Exception as error:
            # Hostile bytes make Pillow's parsers raise about anything (IndexError,
            # struct.error, …), not only UnidentifiedImageError: all mean "not an image".
            raise not_an_image from error
    if fmt not in FORMATS:
        raise not_an_image
    return fmt, width, height, frames


def image_prepare(data: bytes) -> PreparedImage:
    """Check the upload (``image_check``), then decode it once, upright, and make the
    stored original and the renditions, all without metadata."""
    fmt, _width, _height, frames = image_check(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                if frames > 1:
                    return _prepare_animated(image, fmt, frames)
                _check_pixels(image.width, image.height, 1)
                image.load()
                _check_pixels(image.width, image.height, 1)  # a later header may differ
                upright = ImageOps.exif_transpose(image)
                icc = image.info.get("icc_profile")
                original = _encode(upright, fmt, icc=icc)
                renditions = _renditions(upright, icc=icc)
                return PreparedImage(fmt, upright.width, upright.height, original, renditions)
    except ValidationError:
        raise
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except Exception as error:
        # verify() passed but the data is broken further in (truncated, a bad chunk or
        # EXIF block): Pillow raises OSError, IndexError, struct.error, …
        raise _refuse(_("The image is damaged and cannot be read."), "damaged") from error


def rendition_widths(width: int, height: int) -> list[int]:
    """The rendition widths for an image ``width`` x ``height``: each standard width
    below it, then the image's own width capped at the widest; and none so narrow a
    strip that its rendition would be taller than WebP allows (16,383 pixels)."""
    fits = max(1, WEBP_MAX_SIDE * width // height)
    widest = min(width, fits, RENDITION_WIDTHS[-1])
    widths = [w for w in RENDITION_WIDTHS if w < widest]
    return [*widths, widest]


def _check_pixels(width: int, height: int, frames: int) -> None:
    if width * height * max(frames, 1) > settings.BLOG_IMAGE_MAX_PIXELS:
        raise _too_many_pixels()


def _too_many_pixels() -> ValidationError:
    return _refuse(
        _("The image has more than %(max)s megapixels (all frames counted)."),
        "too_many_pixels",
        max=f"{settings.BLOG_IMAGE_MAX_PIXELS / 1_000_000:g}",
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g}"


def _for_mode(image: Image.Image, fmt: str) -> Image.Image:
    """A mode the format can write: JPEG has no alpha; palettes become RGB(A) for WebP."""
    if fmt == "JPEG":
        return image if image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")
    if fmt in ("PNG", "GIF"):
        return image
    return image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")


def _encode(image: Image.Image, fmt: str, *, icc: bytes | None) -> bytes:
    """``image`` written in ``fmt`` with no metadata but the colour profile: the options
    passed here are all Pillow writes, so no EXIF, XMP or comment comes along."""
    out = io.BytesIO()
    options: dict = {"icc_profile": icc} if icc and fmt != "GIF" else {}
    if fmt == "JPEG":
        options.update(quality=92, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=90, method=4)
    _for_mode(image, fmt).save(out, format=fmt, **options)
    return out.getvalue()


def _renditions(image: Image.Image, *, icc: bytes | None) -> list[Rendition]:
    """WebP renditions, narrowest first. Each is resized from the next wider one (and
    the widest with Pillow's reducing gap), so a 40-megapixel photo is read at full size
    once, not once per width."""
    made: list[Rendition] = []
    source = _for_mode(image, "WEBP")
    for width in reversed(rendition_widths(image.width, image.height)):
        height = max(1, round(image.height * width / image.width))
        if width != source.width:
            source = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        out = io.BytesIO()
        options: dict = {"icc_profile": icc} if icc else {}
        source.save(out, format="WEBP", quality=80, method=4, **options)
        made.append(Rendition(width, height, out.getvalue()))
    return made[::-1]


def _prepare_animated(image: Image.Image, fmt: str, count: int) -> PreparedImage:
    """An animated GIF or WebP keeps its frames: the original is written again frame by
    frame (no metadata) and each rendition is an animated WebP."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        # A frame may claim a bigger size than the first: checked before it is decoded.
        _check_pixels(frame.width, frame.height, count)
        frames.append(frame.convert("RGBA"))
        durations.append(frame.info.get("duration", 100))
    loop = image.info.get("loop", 0)
    width, height = frames[0].size
    original = io.BytesIO()
    first, rest = frames[0], frames[1:]
    if fmt == "GIF":
        first.save(original, format="GIF", save_all=True, append_images=rest,
                   duration=durations, loop=loop, disposal=2)  # fmt: skip
    else:
        first.save(original, format="WEBP", save_all=True, append_images=rest,
                   duration=durations, loop=loop, quality=90)  # fmt: skip
    renditions = []
    for target in rendition_widths(width, height):
        target_height = max(1, round(height * target / width))
        resized = [
            f.resize((target, target_height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            for f in frames
        ]
        out = io.BytesIO()
        resized[0].save(out, format="WEBP", save_all=True, append_images=resized[1:],
                        duration=durations, loop=loop, quality=80)  # fmt: skip
        renditions.append(Rendition(target, target_height, out.getvalue()))
    return PreparedImage(fmt, width, height, original.getvalue(), renditions)


class ImageUploadLimitHandler(FileUploadHandler):
    """Stops reading a file field once it passes ``BLOG_IMAGE_MAX_BYTES``: the rest of
    that file is skipped rather than spooled to disk, and the field's name is noted on
    the request (``request.oversized_uploads``) so the form can say why it is empty.
    Put first in ``request.upload_handlers`` before the body is read."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = settings.BLOG_IMAGE_MAX_BYTES
        if request is not None and not hasattr(request, "oversized_uploads"):
            request.oversized_uploads = set()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            if self.request is not None:
                self.request.oversized_uploads.add(self.field_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
