"""Normalise extracted text so that only substantive changes change its hash.

Rules (``NORMALISER`` names them; bump it when they change, since it is
recorded in every observation): Unicode NFC; non-breaking and other Unicode
spaces become a plain space; zero-width spaces, BOMs and soft hyphens are
removed; runs of spaces collapse; every line is stripped; empty lines are
dropped; one paragraph per line; a non-empty text ends with one newline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from archive.errors import UsageError

NORMALISER = "readout-normalise/1"

_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\ufeff\u00ad\u2060"), None)
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")


def normalise(text: str) -> str:
    """The canonical form of a page's text (idempotent)."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    lines = (_SPACES.sub(" ", line).strip() for line in _LINE_BREAKS.split(text))
    kept = [line for line in lines if line]
    return "\n".join(kept) + "\n" if kept else ""


def compile_ignore(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    """Compile ``--ignore`` patterns, or raise UsageError naming the one that is not a regex."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise UsageError(
                f"--ignore {pattern!r} is not a valid regular expression ({exc})."
            ) from exc
    return compiled


def apply_ignore(text: str, patterns: Sequence[str]) -> str:
    """Drop every line of ``text`` that any pattern matches (re.search)."""
    if not patterns:
        return text
    compiled = compile_ignore(patterns)
    kept = [line for line in text.splitlines() if not any(p.search(line) for p in compiled)]
    return "\n".join(kept) + "\n" if kept else ""
