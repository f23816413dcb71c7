"""Evidence images: trusted only after Pillow decoded them, stored rebuilt without location metadata.

The type is decided by the bytes (magic number + decoder), never by the client's MIME type or file name;
limits apply before any pixel is decoded, so a decompression bomb costs a header read, not gigabytes.

A phone JPEG (RGB or greyscale) is rebuilt losslessly from its segments: only the ones a decoder needs
(quantisation and Huffman tables, frame, restart interval, scans), JFIF, an ICC profile, and the EXIF
rewritten without GPS are kept; comments, XMP, other APPn blocks — wherever they sit, also after the first
scan — and anything after the end-of-image marker are dropped. The rebuilt bytes, the ones stored, are
checked by decoding every scan at 1/8 scale (the whole entropy-coded stream is read, the pixels are not
all produced). That was a full decode plus re-encode before, ~25 ms of
a handover's CPU for 1280×960 (docs/robustness.md). Other JPEG modes and PNGs are still re-encoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
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
            if fmt == "JPEG" and im.mode in ("RGB", "L"):
                rebuilt = _rebuild_jpeg(data, _exif_bytes(im.getexif(), keep_gps=settings.keep_exif_gps))
                if rebuilt is not None:
                    width, height = im.size
                    with Image.open(io.BytesIO(rebuilt), formats=["JPEG"]) as check:
                        if check.size != im.size:
                            raise CorruptImage(field, "rebuilt image differs")
                        check.draft(check.mode, (max(1, width // 8), max(1, height // 8)))
                        check.load()  # the bytes that are stored, every scan read: a broken stream raises here
                    return ValidatedImage(rebuilt, sha256_hex(rebuilt), CONTENT_TYPES[fmt], width, height)
            im.load()  # segments we cannot rebuild from, other modes, PNG: decode in full and re-encode
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


def _exif_bytes(exif: Image.Exif, *, keep_gps: bool) -> bytes | None:
    if not keep_gps and ExifTags.IFD.GPSInfo in exif:
        del exif[ExifTags.IFD.GPSInfo]
    return exif.tobytes() if len(exif) else None


# SOF0-15 (minus JPG C8), DHT C4, DAC CC, DQT DB, DRI DD: what decoding needs. APP0 (JFIF) is harmless.
_KEEP = {m for m in range(0xC0, 0xD0) if m != 0xC8} | {0xDB, 0xDD, 0xE0}
_ICC = b"ICC_PROFILE\x00"
_EXIF = b"Exif\x00\x00"


def _marker_starts(data: bytes) -> np.ndarray:
    """Where entropy-coded data can end: every FF followed by neither 00 (stuffing), D0–D7 (restart) nor
    another FF (fill), sorted. The last FF of a fill run is the one kept: the marker starts there.

    Vectorised, because a photo's scan is most of its bytes: a regular expression walking it took ~1.8 ms
    of a handover's CPU for a 240 kB photo, this ~0.1 ms (docs/robustness.md)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    ff = np.flatnonzero(arr[:-1] == 0xFF)
    after = arr[ff + 1]
    return ff[(after != 0x00) & (after != 0xFF) & ((after < 0xD0) | (after > 0xD7))]


def _rebuild_jpeg(data: bytes, exif: bytes | None) -> bytes | None:
    """The JPEG's decoding segments and scans, EXIF replaced by ``exif``; ``None`` if the layout is unusual.

    Every segment is judged wherever it sits — before the first scan, between the scans of a progressive
    file, or just before the end-of-image marker — so a comment or an EXIF block placed after the first scan
    is dropped like one placed before it. Scans are walked to their end (entropy-coded data holds no
    unstuffed FF), so an FF D9 inside a comment cannot cut the image short.
    """
    out = [b"\xff\xd8"]
    exif_segment = b""
    if exif is not None:
        block = exif if exif.startswith(_EXIF) else _EXIF + exif
        if len(block) + 2 > 0xFFFF:
            return None
        exif_segment = b"\xff\xe1" + (len(block) + 2).to_bytes(2, "big") + block
    pos, n, scans = 2, len(data), 0
    markers: np.ndarray | None = None
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image: anything after it is dropped
            if scans == 0:
                return None
            out.append(b"\xff\xd9")
            at = 2 if len(out) > 1 and out[1].startswith(b"\xff\xe0") else 1  # JFIF's APP0 stays first
            out.insert(at, exif_segment)
            return b"".join(out)
        if marker in (0x01, *range(0xD0, 0xD8)):  # stand-alone markers have no length
            pos += 2
            continue
        if pos + 4 > n:
            return None
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > n:
            return None
        if marker == 0xDA:  # a scan: its header, then entropy-coded data up to the next real marker
            if markers is None:
                markers = _marker_starts(data)
            k = int(np.searchsorted(markers, end))
            if k == len(markers):
                return None
            scan_end = int(markers[k])
            out.append(data[pos:scan_end])
            scans += 1
            pos = scan_end
            continue
        body = data[pos + 4 : end]
        if (marker in _KEEP and not (scans and 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xCC))) or (
            marker == 0xE2 and body.startswith(_ICC) and not scans
        ):
            out.append(data[pos:end])
        pos = end
    return None


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
        params["comment"] = b""  # Pillow would copy the upload's comment into the new file
        if im.mode in ("RGB", "L"):
            im.save(out, "JPEG", quality="keep", **params)  # same quantisation tables: no extra loss
        else:
            im.convert("RGB").save(out, "JPEG", quality=90, **params)
    else:
        target = im if im.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16") else im.convert("RGBA")
        target.save(out, "PNG", **params)
    data = out.getvalue()
    return ValidatedImage(data, sha256_hex(data), CONTENT_TYPES[fmt], im.width, im.height)
