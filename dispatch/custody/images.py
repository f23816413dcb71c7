"""Evidence images: trusted only after Pillow decoded them, stored re-encoded without location metadata.

The type is decided by the bytes (magic number + decoder), never by the client's MIME type or file name;
limits apply before any pixel is decoded, so a decompression bomb costs a header read, not gigabytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import ExifTags, Image, UnidentifiedImageError

from dispatch.custody.chain import sha256_hex
from dispatch.custody.errors import CorruptImage, FileTooLarge, ImageTooLarge, UnsupportedImage

if TYPE_CHECKING:
    from dispatch.config import Settings

MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
# declared types we treat as "no claim" (phones and some HTTP clients send these for any file)
_NEUTRAL_DECLARED = {None, "", "application/octet-stream", "binary/octet-stream"}


@dataclass(frozen=True)
class ValidatedImage:
    data: bytes  # the normalised bytes that are stored and hashed
    sha256: str
    content_type: str
    width: int
    height: int

    @property
    def size_bytes(self) -> int:
        return len(self.data)


def sniff(data: bytes) -> str | None:
    for magic, fmt in MAGIC.items():
        if data.startswith(magic):
            return fmt
    return None


def validate_image(
    data: bytes,
    *,
    field: str,
    settings: Settings,
    declared_type: str | None = None,
    allowed: tuple[str, ...] = ("JPEG", "PNG"),
) -> ValidatedImage:
    """Check size, type, dimensions and integrity, then re-encode; raises 413/415/422 domain errors."""
    if len(data) > settings.max_upload_bytes:
        raise FileTooLarge(settings.max_upload_bytes, field=field)
    fmt = sniff(data)
    declared = (declared_type or "").split(";")[0].strip().lower() or None
    if fmt is None or fmt not in allowed:
        raise UnsupportedImage(field, fmt, declared)
    if declared not in _NEUTRAL_DECLARED and declared != CONTENT_TYPES[fmt]:
        raise UnsupportedImage(field, fmt, declared)
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels  # Pillow's own bomb guard, at our limit
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            _check_dimensions(im.size, field, settings)
            im.load()
            return _normalise(im, fmt, keep_gps=settings.keep_exif_gps)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(field, None, None, settings.max_image_pixels, settings.max_image_side) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedImage(field, fmt, declared) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError) as exc:
        # truncated data, broken chunks/markers, oversized text chunks ("Decompressed Data Too Large")
        raise CorruptImage(field, str(exc)) from exc


def _check_dimensions(size: tuple[int, int], field: str, settings: Settings) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise CorruptImage(field, "empty image")
    if width * height > settings.max_image_pixels or max(width, height) > settings.max_image_side:
        raise ImageTooLarge(field, width, height, settings.max_image_pixels, settings.max_image_side)


def _normalise(im: Image.Image, fmt: str, *, keep_gps: bool) -> ValidatedImage:
    """Re-encode so nothing the decoder did not understand (trailing data, XMP, comments) is kept."""
    exif = im.getexif()
    if not keep_gps and ExifTags.IFD.GPSInfo in exif:
        del exif[ExifTags.IFD.GPSInfo]
    params: dict[str, object] = {}
    if len(exif):
        params["exif"] = exif.tobytes()
    if icc := im.info.get("icc_profile"):
        params["icc_profile"] = icc
    out = io.BytesIO()
    if fmt == "JPEG":
        if im.mode in ("RGB", "L"):
            im.save(out, "JPEG", quality="keep", **params)  # same quantisation tables: no extra loss
        else:
            im.convert("RGB").save(out, "JPEG", quality=90, **params)
    else:
        target = im if im.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16") else im.convert("RGBA")
        target.save(out, "PNG", **params)
    data = out.getvalue()
    return ValidatedImage(data, sha256_hex(data), CONTENT_TYPES[fmt], im.width, im.height)
