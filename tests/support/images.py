"""Images made in memory for the tests of images in posts (no file in the repository)."""

from __future__ import annotations

import io
import os
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (2000, 1000), *, exif: Image.Exif | None = None
) -> bytes:
    """A gradient (so it does not compress to nothing) in ``fmt``, with ``exif`` if given."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    options = {"exif": exif.tobytes()} if exif is not None else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def noise_bytes(fmt: str = "PNG", size: tuple[int, int] = (600, 600)) -> bytes:
    """Random pixels: an image that hardly compresses (about 3 bytes a pixel in PNG)."""
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def animated_gif(size: tuple[int, int] = (600, 300), frames: int = 4) -> bytes:
    images = [Image.new("RGB", size, (40 * i, 80, 160)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return out.getvalue()


def gps_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with a GPS position (Greenwich) and an orientation."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "CameraMaker"
    exif[GPS_IFD] = {1: "N", 2: (51.0, 28.0, 38.0), 3: "W", 4: (0.0, 0.0, 5.0)}
    return exif


def png_claiming(width: int, height: int) -> bytes:
    """A small, valid-looking PNG whose header claims ``width`` x ``height`` pixels:
    what a decompression bomb looks like before it is decoded."""
    small = io.BytesIO()
    Image.new("1", (8, 8)).save(small, format="PNG")
    data = bytearray(small.getvalue())
    ihdr = data[12:29]  # b"IHDR" + 13 bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert("svg")</script></svg>'
)
# PNG's signature, then a page: sniffed as HTML by a browser without nosniff.
HTML_AS_PNG = b"\x89PNG\r\n\x1a\n<html><body><script>alert(1)</script></body></html>"
TEXT = b"Just some text, renamed photo.png.\n"
