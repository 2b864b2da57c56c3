"""C2SP tlog-proof: one entry's index, inclusion proof and checkpoint, as one text file.

::

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <n>
    <base64 hash, sibling first>...
    <empty line>
    <the signed checkpoint, verbatim>

The ``extra`` line is not authenticated; readout puts nothing there.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from provenance.canonical import b64decode_strict
from provenance.checkpoint import Checkpoint, open_checkpoint
from provenance.errors import FormatError
from provenance.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from provenance.note import NoteVerifier

HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class TlogProof:
    """An inclusion proof for one log entry with the checkpoint it proves against."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def text(self) -> str:
        """The proof in C2SP tlog-proof form."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(item).decode() for item in self.proof]
        return "\n".join(lines) + "\n\n" + self.checkpoint_note

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        """Parse the tlog-proof text form (syntax only; ``verify`` checks the proof)."""
        head, sep, note = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines or lines[0] != HEADER:
            raise FormatError(f"a tlog proof starts with {HEADER!r} and ends with a checkpoint.")
        rest = lines[1:]
        extra = None
        if rest and rest[0].startswith("extra "):
            extra = b64decode_strict(rest.pop(0)[6:], "the tlog proof's extra data")
        if not rest or not rest[0].startswith("index "):
            raise FormatError("a tlog proof names its entry on an 'index N' line.")
        index_text = rest.pop(0)[6:]
        if not index_text.isdigit() or (index_text != "0" and index_text.startswith("0")):
            raise FormatError(f"the tlog proof index {index_text!r} is not a decimal number.")
        hashes = tuple(b64decode_strict(line, "a tlog proof hash") for line in rest)
        if any(len(item) != HASH_SIZE for item in hashes):
            raise FormatError("every tlog proof hash is 32 bytes.")
        return cls(int(index_text), hashes, note, extra)

    def verify(
        self, entry: bytes, verifiers: Iterable[NoteVerifier], origin: str | None = None
    ) -> Checkpoint:
        """Check the checkpoint's signature and that ``entry`` is leaf ``index`` under it."""
        checkpoint = open_checkpoint(self.checkpoint_note, verifiers, origin)
        verify_inclusion(
            self.index, checkpoint.size, leaf_hash(entry), self.proof, checkpoint.root_hash
        )
        return checkpoint
