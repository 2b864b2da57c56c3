"""C2SP signed notes (the format of Go's ``golang.org/x/mod/sumdb/note``), Ed25519 only.

A note is UTF-8 text ending in a newline, a blank line, then one or more
signature lines ``— <name> <base64(key hash (4 bytes) || signature (64))>``.
The key hash is the first four bytes of ``SHA-256(name || "\\n" || 0x01 ||
public key)``; the signature is Ed25519 over the text alone. A verifier key
is published as ``<name>+<hex key hash>+<base64(0x01 || public key)>``.

Opening a note ignores signatures by keys the caller does not know (that is
what lets a log rotate keys and witnesses cosign) but fails if a known key's
signature is wrong, or if no known key signed at all.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.canonical import b64decode_strict
from provenance.errors import FormatError, SignatureError
from provenance.keys import PublicKey, public_key

ALG_ED25519 = 0x01
DASH = "\u2014"  # the em dash that starts a signature line
MAX_SIGNATURES = 100


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name) or not name.isprintable():
        raise FormatError(f"{name!r} is not a valid note key name (no spaces or '+').")


def key_hash(name: str, key: PublicKey) -> bytes:
    """The 4-byte key hash a signature line carries: SHA-256(name \\n 0x01 key)[:4]."""
    _check_name(name)
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + key.raw).digest()[:4]


@dataclass(frozen=True)
class NoteVerifier:
    """A named Ed25519 public key that can check note signatures."""

    name: str
    key: PublicKey

    @property
    def key_hash(self) -> bytes:
        """The 4-byte hash that identifies this key in signature lines."""
        return key_hash(self.name, self.key)

    @property
    def vkey(self) -> str:
        """The verifier key text other tools take (``name+hash+base64``)."""
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.key.raw).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"

    @classmethod
    def from_vkey(cls, text: str) -> NoteVerifier:
        """Parse a verifier key; the hash must match the name and key it names."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise FormatError("a verifier key has the form name+hash+key.")
        name, hash_hex, encoded = parts
        _check_name(name)
        raw = b64decode_strict(encoded, "the verifier key")
        try:
            expected = bytes.fromhex(hash_hex)
        except ValueError as exc:
            raise FormatError("the verifier key's hash is not hex.") from exc
        if len(hash_hex) != 8 or len(raw) != 33 or raw[0] != ALG_ED25519:
            raise FormatError("the verifier key is not an Ed25519 note key.")
        verifier = cls(name, PublicKey(raw[1:]))
        if verifier.key_hash != expected:
            raise FormatError("the verifier key's hash does not match its name and key.")
        return verifier


@dataclass(frozen=True)
class NoteSigner:
    """A named Ed25519 private key that signs notes."""

    name: str
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return NoteVerifier(self.name, public_key(self.private))

    def signature_line(self, text: str) -> str:
        """The ``— name base64`` line for ``text``."""
        sig = self.verifier.key_hash + self.private.sign(text.encode("utf-8"))
        return f"{DASH} {self.name} {base64.b64encode(sig).decode()}\n"


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_hash: bytes
    signature: bytes

    @property
    def line(self) -> str:
        """The signature line as it appears in the note."""
        encoded = base64.b64encode(self.key_hash + self.signature).decode()
        return f"{DASH} {self.name} {encoded}\n"


@dataclass(frozen=True)
class OpenedNote:
    """A note whose text at least one known key signed."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text:
        raise FormatError("a note text ends with one newline and has no blank lines.")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise FormatError("a note text holds no control characters.")


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """Sign ``text`` with every signer; return the whole note."""
    _check_text(text)
    lines = [signer.signature_line(text) for signer in signers]
    if not lines:
        raise FormatError("a note needs at least one signer.")
    return text + "\n" + "".join(lines)


def parse_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a note into its text and signature lines, checking the syntax only."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError("the note is not valid UTF-8.") from exc
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise FormatError("the note has no blank line before its signatures.")
    text, block = note[: split + 1], note[split + 2 :]
    _check_text(text)
    signatures: list[NoteSignature] = []
    for line in block.split("\n")[:-1]:
        fields = line.split(" ")
        if len(fields) != 3 or fields[0] != DASH:
            raise FormatError(f"{line[:40]!r} is not a note signature line.")
        _check_name(fields[1])
        raw = b64decode_strict(fields[2], "a note signature")
        if len(raw) < 5:
            raise FormatError("a note signature is too short.")
        signatures.append(NoteSignature(fields[1], raw[:4], raw[4:]))
    if not signatures or len(signatures) > MAX_SIGNATURES:
        raise FormatError(f"a note carries 1 to {MAX_SIGNATURES} signatures.")
    return text, signatures


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> OpenedNote:
    """Check a note against known keys; raise unless at least one known key signed it.

    Signatures by unknown keys are kept aside, never trusted; a wrong
    signature by a known key is an error, not something to skip.
    """
    text, signatures = parse_note(note)
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for verifier in verifiers:
        known[(verifier.name, verifier.key_hash)] = verifier
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_hash))
        if verifier is None:
            unverified.append(signature)
            continue
        try:
            verifier.key.verify(signature.signature, text.encode("utf-8"))
        except SignatureError:
            raise SignatureError(
                f"the note signature by {signature.name}+{signature.key_hash.hex()} is invalid."
            ) from None
        if signature not in verified:
            verified.append(signature)
    if not verified:
        raise SignatureError("the note is not signed by any key this verifier knows.")
    return OpenedNote(text, tuple(verified), tuple(unverified))
