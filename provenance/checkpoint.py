"""C2SP tlog-checkpoints: a log's origin, tree size and root hash, as a signed note.

The body is exactly three lines (origin, decimal size with no leading zeros,
base64 root hash); readout writes no extension lines, since monitors cannot
audit them, but parsing keeps any it finds. The log's note key name is its
origin, as the specification recommends, so Go's ``sumdb/note`` and other
checkpoint tools can check ours with the verifier key ``readout key show``
prints.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from provenance.canonical import b64decode_strict
from provenance.errors import FormatError, ProofError
from provenance.merkle import HASH_SIZE, verify_consistency
from provenance.note import NoteSigner, NoteVerifier, open_note, sign_note


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log, how many leaves, and the root over them."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise FormatError("a checkpoint origin is one non-empty line.")
        if self.size < 0:
            raise FormatError("a checkpoint tree size is not negative.")
        if len(self.root_hash) != HASH_SIZE:
            raise FormatError("a checkpoint root hash is 32 bytes.")

    @property
    def root_b64(self) -> str:
        """The root hash in standard base64, as the body carries it."""
        return base64.b64encode(self.root_hash).decode("ascii")

    def body(self) -> str:
        """The note text: origin, size and root, one per line, each ending in a newline."""
        lines = [self.origin, str(self.size), self.root_b64, *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly: no leading zeros, 32-byte root, no empty lines."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(line == "" for line in lines[:-1]):
            raise FormatError("a checkpoint body is at least three non-empty lines.")
        origin, size_text, root_text, *extensions = lines[:-1]
        if (
            not size_text.isdigit()
            or not size_text.isascii()
            or (size_text != "0" and size_text.startswith("0"))
        ):
            raise FormatError(f"the checkpoint tree size {size_text!r} is not a decimal number.")
        root = b64decode_strict(root_text, "the checkpoint root hash")
        return cls(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Iterable[NoteSigner]) -> str:
    """The checkpoint as a signed note."""
    return sign_note(checkpoint.body(), signers)


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[NoteVerifier], origin: str | None = None
) -> Checkpoint:
    """Check a signed checkpoint against known keys (and origin, if given) and parse it.

    Only signatures by keys named for the checkpoint's own origin count: a
    witness's cosignature is not the log's word.
    """
    opened = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise FormatError(f"the checkpoint is for log {checkpoint.origin!r}, not {origin!r}.")
    if not any(sig.name == checkpoint.origin for sig in opened.verified):
        raise FormatError("the checkpoint is not signed under its own origin's name.")
    return checkpoint


def check_consistency(old: Checkpoint, new: Checkpoint, proof: list[bytes]) -> None:
    """Raise unless ``new`` extends ``old``: same log, not smaller, and the proof holds."""
    if old.origin != new.origin:
        raise ProofError(f"the checkpoints are of different logs ({old.origin!r}, {new.origin!r}).")
    if old.size > new.size:
        raise ProofError(
            f"the log shrank from {old.size} to {new.size} records: history was truncated."
        )
    if old.size == 0:
        if proof:
            raise ProofError("any log extends an empty one; the proof should be empty.")
        return
    if old.size == new.size and not hmac.compare_digest(old.root_hash, new.root_hash):
        raise ProofError(f"two checkpoints of {old.size} records have different roots.")
    verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)
