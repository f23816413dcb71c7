"""Which characters free text from the public may hold, decided in one place for every concept.

Refused: C0/C1 control characters (NUL cannot even be stored by PostgreSQL; the others hide text or drive
terminals), lone surrogates (they cannot be encoded), and the bidirectional overrides, embeddings and
isolates (U+202A–U+202E, U+2066–U+2069) that make a name read differently on a staff screen than it is
stored ("Trojan Source"). Tab and line breaks are allowed where a field is multi-line.
"""

from __future__ import annotations

import re

_BIDI_AND_SURROGATES = "\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_FORBIDDEN = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI_AND_SURROGATES}]")
_FORBIDDEN_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SURROGATES}]")


def has_forbidden_characters(text: str, *, multiline: bool = False) -> bool:
    return bool((_FORBIDDEN if multiline else _FORBIDDEN_ONE_LINE).search(text))
