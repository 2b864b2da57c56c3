"""Canonical JSON: the one byte form in which readout signs and hashes records.

Rules (documented in the README): UTF-8; object keys sorted by code point;
separators ``,`` and ``:`` with no whitespace; no floats, NaN or infinities;
integers within ±(2**53 - 1) so every JSON parser reads them back exactly;
only dict (with str keys), list, str, int, bool and None. Anything else is
rejected rather than stringified: a digest must never depend on Python's
``repr``. Records carry only ASCII keys, so code-point order equals the
UTF-16 order of RFC 8785 (JCS) and our bytes are JCS bytes for them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from provenance.errors import EncodingError, FormatError

MAX_SAFE_INT = 2**53 - 1


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise EncodingError(
                    f"{path} holds a lone surrogate, which UTF-8 cannot encode."
                ) from exc
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise EncodingError(f"{path} is an integer too large to round-trip through JSON.")
        return
    if isinstance(value, float):
        raise EncodingError(f"{path} is a float; canonical records hold integers and strings only.")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodingError(f"{path} has a non-string key {key!r}.")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    raise EncodingError(f"{path} is a {type(value).__name__}, which has no canonical JSON form.")


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` in canonical JSON, or raise EncodingError naming the bad field."""
    _check(value, "$")
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def parse_canonical(data: bytes) -> Any:
    """Parse bytes that must already be canonical; anything else raises EncodingError.

    Verifiers use this so that two byte strings can never stand for one record.
    """
    try:
        value = json.loads(data.decode("utf-8"), parse_float=_reject_float)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise EncodingError(f"the record is not valid UTF-8 JSON ({exc}).") from exc
    if canonical_json(value) != data:
        raise EncodingError("the record is valid JSON but not in canonical form.")
    return value


def _reject_float(text: str) -> float:
    raise ValueError(f"float {text} not allowed in canonical JSON")


def b64decode_strict(text: str, what: str) -> bytes:
    """Decode standard base64 that is in its one canonical form, or raise FormatError.

    Plain decoders accept several spellings of the same bytes (stray padding
    bits); refusing them keeps every signed or hashed text byte-unique.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise FormatError(f"{what} is not valid base64.") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise FormatError(f"{what} is not in canonical base64.")
    return raw
