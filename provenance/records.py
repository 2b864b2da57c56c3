"""Signed records and the hash chain that links them.

A record is a JSON object in canonical form (``provenance.canonical``). Its
signature is Ed25519 over ``DOMAIN || record_bytes``: the domain prefix means a
record signature can never be replayed as the signature of a checkpoint or of
any other message the same key signs. Each record names the SHA-256 of the
record before it (``prev``; ``None`` for the first), so deleting, inserting or
reordering records breaks the chain; the Merkle log adds proof against
truncation and rewriting by the key holder.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.canonical import canonical_json, parse_canonical
from provenance.errors import ChainError, FormatError, SignatureError
from provenance.hashing import sha256_hex
from provenance.keys import PublicKey

DOMAIN = b"readout/record/v1\n"


@dataclass(frozen=True)
class SignedRecord:
    """A record's canonical bytes, its signature, and the id of the key that made it."""

    data: bytes
    signature: bytes
    key_id: str

    @property
    def sha256(self) -> str:
        """The record hash: what the next record's ``prev`` names."""
        return sha256_hex(self.data)

    @property
    def signature_b64(self) -> str:
        """The signature in standard base64, as stored and exported."""
        return base64.b64encode(self.signature).decode("ascii")

    def body(self) -> dict[str, Any]:
        """The record as a dict (parsed strictly: the bytes must be canonical)."""
        value = parse_canonical(self.data)
        if not isinstance(value, dict):
            raise FormatError("a record must be a JSON object.")
        return value


def sign(record: Mapping[str, Any], private: Ed25519PrivateKey, key_id: str) -> SignedRecord:
    """Canonically encode ``record`` and sign it; ``record['key_id']`` must name the key."""
    if record.get("key_id") != key_id:
        raise FormatError("a record must name the key that signs it in its key_id field.")
    data = canonical_json(dict(record))
    return SignedRecord(data=data, signature=private.sign(DOMAIN + data), key_id=key_id)


def verify_signature(record: SignedRecord, keys: Mapping[str, PublicKey]) -> None:
    """Raise SignatureError unless a known key with the record's key id signed it."""
    key = keys.get(record.key_id)
    if key is None:
        raise SignatureError(f"the record is signed by unknown key {record.key_id}.")
    body = record.body()
    if body.get("key_id") != record.key_id:
        raise SignatureError("the record's key_id field does not name the key it is filed under.")
    key.verify(record.signature, DOMAIN + record.data)


def decode_signature(text: str) -> bytes:
    """Parse a base64 Ed25519 signature, rejecting any that is not 64 bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise FormatError("the signature is not valid base64.") from exc
    if len(raw) != 64:
        raise FormatError("an Ed25519 signature is 64 bytes; this one is not.")
    return raw


def check_link(body: Mapping[str, Any], previous: SignedRecord | None) -> None:
    """Raise ChainError unless ``body['prev']`` names ``previous`` (None for the first record)."""
    expected = previous.sha256 if previous is not None else None
    actual = body.get("prev")
    if expected is None or actual is None:
        if expected != actual:
            raise ChainError(f"prev is {actual!r} but the record before it hashes to {expected!r}.")
        return
    if not isinstance(actual, str) or not hmac.compare_digest(actual, expected):
        raise ChainError(f"prev is {actual!r} but the record before it hashes to {expected}.")
