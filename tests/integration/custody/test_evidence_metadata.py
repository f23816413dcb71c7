"""docs/custody.md says comments and GPS are dropped from stored evidence: true wherever the segment sits.

Issue 15, item 8: a COM segment or an APP1/EXIF block with GPS placed after the first scan (between scans of
a progressive JPEG, or just before the end-of-image marker) was stored as uploaded.
"""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from dispatch.custody.images import validate_image

SECRET = b"calo-was-here"


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "UjiPhone"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (6.0, 14.0, 38.4),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (106.0, 48.0, 0.0),
    }
    return b"Exif\x00\x00" + exif.tobytes()


def _photo(*, progressive: bool, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.effect_noise((160, 120), 50).convert(mode).save(out, "JPEG", quality=80, progressive=progressive)
    return out.getvalue()


def _scan_starts(data: bytes) -> list[int]:
    """Offsets of every SOS marker (found by walking segments and entropy-coded data)."""
    starts, pos = [], 2
    while pos < len(data) - 1:
        marker = data[pos + 1]
        if marker == 0xD9:
            break
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            starts.append(pos)
            pos += 2 + length
            while not (data[pos] == 0xFF and data[pos + 1] not in (0x00, *range(0xD0, 0xD8))):
                pos += 1
            continue
        pos += 2 + length
    return starts


def _inject(data: bytes, where: str, segment: bytes) -> bytes:
    if where == "before end of image":
        return data[:-2] + segment + data[-2:]
    scans = _scan_starts(data)
    assert len(scans) > 1
    at = scans[1]  # between the first and the second scan
    return data[:at] + segment + data[at:]


CASES = [
    (False, "before end of image"),
    (True, "before end of image"),
    (True, "between scans"),
]


@pytest.mark.parametrize(("progressive", "where"), CASES)
@pytest.mark.parametrize("kind", ["comment", "exif with gps", "comment holding an end-of-image marker"])
def test_metadata_after_the_first_scan_is_not_stored(test_settings, progressive, where, kind):
    """COM and APP1/EXIF(GPS) after the first scan are dropped; the stored pixels are exactly the photo's."""
    sent = _photo(progressive=progressive)
    segment = {
        "comment": _segment(0xFE, SECRET),
        "exif with gps": _segment(0xE1, _gps_exif()),
        # an FF D9 inside a comment must neither end the image early nor survive
        "comment holding an end-of-image marker": _segment(0xFE, SECRET + b"\xff\xd9" + SECRET),
    }[kind]
    hostile = _inject(sent, where, segment)
    stored = validate_image(hostile, field="photos", settings=test_settings, declared_type="image/jpeg")
    assert SECRET not in stored.data and b"Exif\x00\x00" not in stored.data[20:]
    assert b"\xff\xfe" not in stored.data.split(b"\xff\xda", 1)[0]
    with Image.open(io.BytesIO(stored.data)) as im:
        assert ExifTags.IFD.GPSInfo not in im.getexif()
        assert "comment" not in im.info
        with Image.open(io.BytesIO(sent)) as original:
            assert im.tobytes() == original.tobytes()


def test_a_reencoded_jpeg_keeps_no_comment(test_settings):
    """Modes that are decoded and re-encoded (CMYK) lose their comment too (Pillow would copy it)."""
    out = io.BytesIO()
    Image.effect_noise((64, 48), 30).convert("CMYK").save(out, "JPEG", comment=SECRET)
    stored = validate_image(out.getvalue(), field="photos", settings=test_settings)
    assert SECRET not in stored.data
