"""Password policy: long enough, not a common password, not built from the account's own name.

Common passwords and keyboard patterns come from zxcvbn's frequency lists (MIT, shipped in the package;
Dropbox's estimator as ported to Python): a password whose estimated guesses stay under 10^8 is refused.
Usernames here are predictable (``kurir.<kecamatan>.<n>``), so a password that is the username's parts
plus digits and punctuation ("Kurir.Gambir.2026") is refused too, whatever zxcvbn thinks of its length.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from dispatch.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: "safely unguessable", about 10^8 guesses or more
_ESTIMATE_CHARS = 64  # zxcvbn's cost grows with length; the first 64 characters decide
_WORDS = re.compile(r"[^\W\d_]+")
_SERVICE_WORDS = ("ajib", "kurir", "courier", "dispatcher", "clerk", "admin", "jakarta", "dpmptsp", "ptsp")


class WeakPassword(InvalidInput):
    default_code = "weak_password"

    def __init__(self, why_id: str, why_en: str, hint: str = "") -> None:
        super().__init__(
            f"Kata sandi terlalu lemah: {why_id}",
            f"The password is too weak: {why_en}",
            details={"min_length": MIN_LENGTH, **({"hint": hint} if hint else {})},
        )


def _name_parts(*names: str) -> list[str]:
    return [w for name in names for w in _WORDS.findall(name.lower()) if len(w) >= 3]


def check_password(password: str, *, username: str, full_name: str = "") -> None:
    """Raise ``WeakPassword`` (422) unless the password is acceptable for this account."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"minimal {MIN_LENGTH} karakter.", f"at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"maks. {MAX_LENGTH} karakter.", f"at most {MAX_LENGTH} characters.")
    parts = _name_parts(username, full_name)
    rest = password.lower()
    for part in sorted(parts, key=len, reverse=True):
        rest = rest.replace(part, "")
    if len("".join(_WORDS.findall(rest))) < 4:
        raise WeakPassword(
            "jangan dibentuk dari nama pengguna atau nama Anda.", "do not build it from the username or your name."
        )
    estimate = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=[username, full_name, *parts, *_SERVICE_WORDS])
    if estimate["score"] < MIN_SCORE:
        raise WeakPassword(
            "terlalu umum atau mudah ditebak; gunakan beberapa kata yang tidak berhubungan.",
            "too common or easy to guess; use several unrelated words.",
            estimate["feedback"]["warning"] or "",
        )
