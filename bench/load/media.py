"""Evidence files the simulated phones send: a ~200 KB camera-like JPEG and a PNG signature.

The server decodes and re-encodes every image (it keeps EXIF minus GPS), so a unique photo per handover
is made cheaply by splicing a fresh EXIF block (a phone's timestamp and a nonce) into one of a few
pre-encoded base images — each upload then hashes differently, as real photos do.
"""

from __future__ import annotations

import io
import random
import struct

from PIL import ExifTags, Image, ImageDraw, ImageFilter

PHOTO_SIZE = (1280, 960)


def _base_photo(seed: int, target_bytes: int) -> bytes:
    """A smooth scene with texture (paper on a table), encoded near ``target_bytes`` without EXIF."""
    rng = random.Random(seed)
    w, h = PHOTO_SIZE
    im = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x, y = rng.randrange(w), rng.randrange(h)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(40, 400), y + rng.randrange(20, 300)), fill=colour)
    for line in range(0, h, 24):
        draw.line((60, line, w - 60, line + rng.randrange(-3, 4)), fill=(30, 30, 30), width=2)
    noise = Image.effect_noise((w, h), 28).convert("RGB")
    im = Image.blend(im, noise, 0.22).filter(ImageFilter.SMOOTH)
    best = b""
    for quality in (60, 70, 78, 85, 90, 94):
        out = io.BytesIO()
        im.save(out, "JPEG", quality=quality)
        best = out.getvalue()
        if len(best) >= target_bytes:
            break
    return best


def _exif_segment(nonce: str) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BenchPhone"
    exif[ExifTags.Base.Model] = "A-12"
    exif[ExifTags.Base.DateTime] = "2026:01:06 09:15:00"
    exif[ExifTags.Base.ImageDescription] = nonce
    payload = b"Exif\x00\x00" + exif.tobytes()
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


class MediaFactory:
    """Pre-encodes a few base photos once; ``photo(nonce)`` is then a byte splice, not an encode."""

    def __init__(self, *, bases: int = 4, target_bytes: int = 200_000, seed: int = 1) -> None:
        self.bases = [_base_photo(seed + i, target_bytes) for i in range(bases)]
        self.signature_base = signature_png()

    def photo(self, nonce: str) -> bytes:
        base = self.bases[hash(nonce) % len(self.bases)]
        return base[:2] + _exif_segment(nonce) + base[2:]

    def signature(self) -> bytes:
        return self.signature_base


def signature_png(seed: int = 0) -> bytes:
    im = Image.new("LA", (400, 160), (255, 0))
    draw = ImageDraw.Draw(im)
    rng = random.Random(seed)
    points = [(20 + i * 12, 80 + rng.randrange(-50, 50)) for i in range(30)]
    draw.line(points, fill=(0, 255), width=3)
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()
