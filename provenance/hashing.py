"""SHA-256 helpers; content in readout is named by the hex SHA-256 of its bytes."""

from __future__ import annotations

import hashlib
import hmac
from typing import BinaryIO

from provenance.errors import DigestMismatch

_CHUNK = 1 << 20


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 of ``data``: the name of every stored object."""
    return hashlib.sha256(data).hexdigest()


def sha256_stream(stream: BinaryIO) -> str:
    """Hash a file-like object in 1 MiB chunks so large content never sits in memory twice."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def is_sha256_hex(text: object) -> bool:
    """True for a 64-character lowercase hex string."""
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def check_digest(data: bytes, expected_hex: str, where: str) -> None:
    """Raise DigestMismatch unless ``data`` hashes to ``expected_hex`` (constant-time compare)."""
    actual = sha256_hex(data)
    if not hmac.compare_digest(actual, expected_hex):
        raise DigestMismatch(f"{where}: expected sha256 {expected_hex}, computed {actual}.")
