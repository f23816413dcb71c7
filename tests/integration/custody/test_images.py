"""Evidence images are judged by their bytes: type, size, pixels, integrity; GPS is stripped before storage."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import ExifTags, Image

from dispatch.custody.errors import CorruptImage, FileTooLarge, ImageTooLarge, UnsupportedImage
from dispatch.custody.images import validate_image
from tests.factories.custody import bomb_png, jpeg_bytes, png_signature, truncated_jpeg


def test_valid_jpeg_and_png_are_accepted_and_hashed(test_settings):
    """A phone JPEG and a PNG signature pass; the hash is of the stored (re-encoded) bytes."""
    photo = validate_image(jpeg_bytes(), field="photos", settings=test_settings, declared_type="image/jpeg")
    assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (640, 480)
    assert photo.sha256 == hashlib.sha256(photo.data).hexdigest()
    sig = validate_image(png_signature(), field="signature", settings=test_settings, allowed=("PNG",))
    assert sig.content_type == "image/png"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7 not an image",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"GIF89a" + b"\x00" * 100,
        b"",
    ],
)
def test_non_images_are_unsupported(test_settings, data):
    """Anything that is not JPEG/PNG by content is 415 unsupported_image (SVG, PDF, GIF, empty)."""
    with pytest.raises(UnsupportedImage) as err:
        validate_image(data, field="photos", settings=test_settings, declared_type="image/jpeg")
    assert err.value.code == "unsupported_image"


def test_declared_type_must_match_content(test_settings):
    """A PNG sent as image/jpeg is refused; a neutral octet-stream declaration is fine."""
    with pytest.raises(UnsupportedImage):
        validate_image(png_signature(), field="photos", settings=test_settings, declared_type="image/jpeg")
    validate_image(png_signature(), field="photos", settings=test_settings, declared_type="application/octet-stream")


def test_signature_must_be_png(test_settings):
    """The signature field takes PNG only."""
    with pytest.raises(UnsupportedImage):
        validate_image(jpeg_bytes(), field="signature", settings=test_settings, allowed=("PNG",))


def test_too_many_bytes_is_413(test_settings):
    """Over max_upload_bytes → file_too_large, before decoding."""
    small = test_settings.model_copy(update={"max_upload_bytes": 1000})
    with pytest.raises(FileTooLarge) as err:
        validate_image(jpeg_bytes(), field="photos", settings=small)
    assert err.value.code == "file_too_large"


def test_decompression_bomb_is_refused_from_its_header(test_settings):
    """A 12k×12k PNG of ~20 KB is refused as image_too_large without decoding its pixels."""
    bomb = bomb_png()
    assert len(bomb) < 100_000
    with pytest.raises(ImageTooLarge) as err:
        validate_image(bomb, field="photos", settings=test_settings)
    assert err.value.code == "image_too_large"


def test_pillows_own_bomb_error_is_mapped(test_settings):
    """Beyond 2× the pixel limit Pillow itself raises DecompressionBombError; it becomes image_too_large too."""
    strict = test_settings.model_copy(update={"max_image_pixels": 10_000_000, "max_image_side": 100_000})
    with pytest.raises(ImageTooLarge):
        validate_image(bomb_png(), field="photos", settings=strict)


def test_a_long_side_is_refused(test_settings):
    """A 9000×10 strip has few pixels but a side over max_image_side."""
    out = io.BytesIO()
    Image.new("L", (9000, 10)).save(out, "PNG")
    with pytest.raises(ImageTooLarge):
        validate_image(out.getvalue(), field="photos", settings=test_settings)


def test_truncated_jpeg_is_corrupt(test_settings):
    """Half a JPEG decodes to an error → 422 corrupt_image."""
    with pytest.raises(CorruptImage) as err:
        validate_image(truncated_jpeg(), field="photos", settings=test_settings)
    assert err.value.code == "corrupt_image"


def test_exif_gps_is_stripped_and_other_exif_kept(test_settings):
    """A photo with GPS EXIF is stored without the GPS block (location privacy); other EXIF stays."""
    original = jpeg_bytes(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    stored = validate_image(original, field="photos", settings=test_settings)
    exif = Image.open(io.BytesIO(stored.data)).getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and ExifTags.IFD.GPSInfo not in exif
    assert exif.get(ExifTags.Base.Make) == "UjiPhone"


def test_exif_gps_can_be_kept_by_configuration(test_settings):
    """keep_exif_gps=True keeps the GPS block."""
    keep = test_settings.model_copy(update={"keep_exif_gps": True})
    stored = validate_image(jpeg_bytes(gps=True), field="photos", settings=keep)
    assert Image.open(io.BytesIO(stored.data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_trailing_payload_is_not_stored(test_settings):
    """Bytes appended after the image (a polyglot payload) do not survive re-encoding."""
    payload = b"<script>alert(1)</script>" * 10
    stored = validate_image(png_signature() + payload, field="signature", settings=test_settings, allowed=("PNG",))
    assert payload not in stored.data


def _segments(data: bytes) -> list[int]:
    """Marker bytes of a JPEG's segments before its first scan."""
    pos, markers = 2, []
    while data[pos + 1] != 0xDA:
        markers.append(data[pos + 1])
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return markers


@pytest.mark.parametrize("progressive", [False, True])
def test_phone_jpeg_is_rebuilt_losslessly_without_extra_segments(test_settings, progressive):
    """Same pixels as sent (no re-encoding loss); comment, XMP, unknown APPn and trailing bytes are gone."""
    im = Image.effect_noise((320, 240), 50).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "UjiPhone"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (6.0, 14.0, 38.4)}
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80, exif=exif, progressive=progressive, comment=b"calo was here")
    sent = out.getvalue()
    xmp = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>secret</x:xmpmeta>"
    app9 = b"\xff\xe9" + (len(b"vendor blob") + 2).to_bytes(2, "big") + b"vendor blob"
    xmp_seg = b"\xff\xe1" + (len(xmp) + 2).to_bytes(2, "big") + xmp
    hostile = sent[:2] + app9 + xmp_seg + sent[2:] + b"<?php system($_GET['c']); ?>"
    stored = validate_image(hostile, field="photos", settings=test_settings, declared_type="image/jpeg")
    assert (stored.width, stored.height) == (320, 240)
    for needle in (b"calo was here", b"xmpmeta", b"vendor blob", b"<?php"):
        assert needle not in stored.data
    assert 0xFE not in _segments(stored.data) and 0xE9 not in _segments(stored.data)
    with Image.open(io.BytesIO(sent)) as a, Image.open(io.BytesIO(stored.data)) as b:
        assert a.tobytes() == b.tobytes()
        kept = b.getexif()
        assert kept.get(ExifTags.Base.Make) == "UjiPhone" and ExifTags.IFD.GPSInfo not in kept


def test_cmyk_jpeg_is_still_reencoded_as_rgb(test_settings):
    """Modes a phone does not send take the decode-and-re-encode path."""
    out = io.BytesIO()
    Image.effect_noise((64, 48), 30).convert("CMYK").save(out, "JPEG")
    stored = validate_image(out.getvalue(), field="photos", settings=test_settings)
    with Image.open(io.BytesIO(stored.data)) as im:
        assert im.mode == "RGB" and im.size == (64, 48)


@pytest.mark.parametrize("seed", range(5))
def test_scan_ends_where_the_jpeg_rules_say(seed):
    """Where a scan's entropy-coded data ends, found vectorised, against the rule written out byte by byte:
    the last FF of a run followed by anything but 00 (stuffing), D0–D7 (restart) or FF (fill). Random bytes
    rich in FF, stuffing, restarts and fill runs."""
    import random

    from dispatch.custody.images import _marker_starts

    rng = random.Random(seed)
    pieces = [b"\xff\x00", b"\xff\xd3", b"\xff\xff\xff\xc4", b"\xff\xd9", b"\xff", b"\x00", b"\x12", b"\xff\xda"]
    data = b"".join(rng.choice(pieces) + bytes([rng.randrange(256)]) for _ in range(3000))
    expected = [
        i
        for i in range(len(data) - 1)
        if data[i] == 0xFF and data[i + 1] not in (0x00, 0xFF) and not 0xD0 <= data[i + 1] <= 0xD7
    ]
    assert _marker_starts(data).tolist() == expected
    assert expected  # the data holds markers to find
