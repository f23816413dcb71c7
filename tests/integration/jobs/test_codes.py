"""Tracking codes and secrets: readable, unambiguous, and the secret never stored or compared in the clear."""

from __future__ import annotations

from dispatch.jobs import codes


def test_codes_use_the_unambiguous_alphabet_and_format() -> None:
    """A code is AJB-XXXX-XX over an alphabet without 0/O, 1/I/L or U."""
    seen = {codes.new_tracking_code() for _ in range(500)}
    assert len(seen) > 490
    for code in seen:
        assert codes.is_tracking_code(code)
        assert not set(code[4:].replace("-", "")) & set("01OILU")


def test_typed_codes_are_normalised() -> None:
    """Lower case, spaces and missing dashes are forgiven; look-alike characters are not guessed."""
    assert codes.normalise_tracking_code(" ajb 7kq3 m9 ") == "AJB-7KQ3-M9"
    assert codes.normalise_tracking_code("7KQ3M9") == "AJB-7KQ3-M9"
    assert codes.normalise_tracking_code("AJB-7KQ0-M9") is None
    assert codes.normalise_tracking_code("AJB-7KQ3-M9X") is None
    assert codes.normalise_tracking_code("") is None


def test_secret_is_128_bits_and_only_its_hash_is_kept() -> None:
    """The secret has 128 random bits, URL-safe; the stored form is a SHA-256 that verifies only that secret."""
    secret = codes.new_secret()
    assert len(secret) == 22 and all(c.isalnum() or c in "-_" for c in secret)
    stored = codes.hash_secret(secret)
    assert secret not in stored and stored.startswith("sha256:")
    assert codes.verify_secret(secret, stored)
    assert not codes.verify_secret(secret + "x", stored)
    assert not codes.verify_secret("", stored)
    assert not codes.verify_secret(None, stored)
    assert not codes.verify_secret(secret, None)


def test_tracking_url_keeps_the_secret_in_the_fragment() -> None:
    """The secret goes after '#', which browsers never send to the server."""
    url = codes.tracking_url("https://ajib.example/", "AJB-7KQ3-M9", "abc")
    assert url == "https://ajib.example/track/AJB-7KQ3-M9#s=abc"
