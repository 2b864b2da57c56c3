"""Errors raised by the provenance library.

Every error carries one sentence a user can act on. Verifiers raise; they never
return a bool, so a forgotten check cannot pass silently.

    ProvenanceError
    ├── EncodingError            a value cannot be canonically encoded
    ├── KeyError_                a key file is missing, unreadable or locked
    ├── VerificationError        something does not check out
    │   ├── SignatureError       a signature does not match its message and key
    │   ├── DigestMismatch       bytes do not hash to the digest that names them
    │   ├── ChainError           a record does not follow the one before it
    │   ├── ProofError           a Merkle inclusion or consistency proof fails
    │   └── TimestampError       an RFC 3161 token is unreadable or does not verify
    └── FormatError              a note, checkpoint or proof is malformed
"""

from __future__ import annotations


class ProvenanceError(Exception):
    """Base class of every error the provenance library raises."""


class EncodingError(ProvenanceError):
    """A value cannot be put in canonical form (a float, a set, a stray type)."""


class KeyError_(ProvenanceError):  # the trailing _ avoids shadowing the builtin
    """A signing or verifying key is missing, unreadable or needs a passphrase."""


class VerificationError(ProvenanceError):
    """Something that was checked does not hold."""


class SignatureError(VerificationError):
    """A signature does not match its message and public key."""


class DigestMismatch(VerificationError):
    """Bytes do not hash to the digest that names them."""


class ChainError(VerificationError):
    """A record does not name the hash of the record before it."""


class ProofError(VerificationError):
    """A Merkle inclusion or consistency proof does not verify."""


class TimestampError(VerificationError):
    """An RFC 3161 timestamp token is unreadable or does not verify."""


class FormatError(ProvenanceError):
    """A note, checkpoint, key or proof text is malformed."""
