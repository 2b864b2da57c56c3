"""The archive's transparency log: signed checkpoints, inclusion and consistency proofs.

Every log record is a leaf of the Merkle tree (``logstore``); after each
snapshot run the archive signs a C2SP checkpoint of the tree and keeps it in
``checkpoints``. Anyone who saved a checkpoint can later ask for a
consistency proof that today's log extends it, and anyone holding one record
can ask for its inclusion proof (a C2SP tlog-proof).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archive import catalogue
from archive.errors import ArchiveError, NotFound, UsageError
from archive.logstore import merkle_log
from archive.repo import Archive, Signer
from archive.timeutil import format_time, utcnow
from provenance.checkpoint import Checkpoint, check_consistency, open_checkpoint, sign_checkpoint
from provenance.errors import ProvenanceError
from provenance.merkle import leaf_hash
from provenance.note import NoteSigner, NoteVerifier
from provenance.tlogproof import TlogProof


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint as kept in the archive, with its timestamp state."""

    size: int
    root_hash: str  # base64, as in the note
    note: str
    key_id: str
    created_at: str
    timestamp: dict[str, Any] | None = None
    timestamp_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``log checkpoints --json`` object."""
        return {
            "size": self.size,
            "root_hash": self.root_hash,
            "key_id": self.key_id,
            "created_at": self.created_at,
            "note": self.note,
            "timestamp": self.timestamp,
            "timestamp_error": self.timestamp_error,
        }


def origin(archive: Archive) -> str:
    """The log's origin line: unique to this archive, set at ``init``."""
    value = catalogue.get_meta(archive.db, "origin")
    if not value:
        raise ArchiveError("the archive has no log origin; run 'readout init' to repair it.")
    return value


def note_signer(archive: Archive, signer: Signer) -> NoteSigner:
    """The active key, named for the log's origin, as a note signer."""
    return NoteSigner(origin(archive), signer.private)


def note_verifiers(archive: Archive) -> list[NoteVerifier]:
    """A verifier for every key that ever signed for this archive (old ones included)."""
    name = origin(archive)
    return [NoteVerifier(name, key) for key in archive.public_keys().values()]


def catch_up(archive: Archive) -> int:
    """Add to the Merkle tree any log record it lacks (archives made before the tree).

    Returns the number of leaves added. Runs under the writer lock.
    """
    tree = merkle_log(archive.db)
    size = tree.size
    rows = archive.db.execute(
        "SELECT seq, record FROM log WHERE seq >= ? ORDER BY seq", [size]
    ).fetchall()
    if not rows:
        return 0
    with catalogue.write_transaction(archive.db):
        expected = size
        for seq, _record in rows:
            if seq != expected:
                raise ArchiveError(
                    f"log entry {expected} is missing, so the Merkle log cannot be completed; "
                    "run 'readout verify'."
                )
            expected += 1
        tree.append_leaf_hashes(leaf_hash(record.encode("utf-8")) for _seq, record in rows)
    return len(rows)


def make_checkpoint(archive: Archive, signer: Signer) -> StoredCheckpoint | None:
    """Sign and store a checkpoint of the current tree, unless one of this size exists."""
    with catalogue.write_transaction(archive.db):
        tree = merkle_log(archive.db)
        size = tree.size
        if (
            size == 0
            or archive.db.execute("SELECT 1 FROM checkpoints WHERE size = ?", [size]).fetchone()
        ):
            return None
        checkpoint = Checkpoint(origin(archive), size, tree.root())
        note = sign_checkpoint(checkpoint, [note_signer(archive, signer)])
        row = {
            "size": size,
            "origin": checkpoint.origin,
            "root_hash": checkpoint.root_b64,
            "note": note,
            "key_id": signer.key_id,
            "created_at": format_time(utcnow()),
        }
        archive.db["checkpoints"].insert(row)
    return StoredCheckpoint(size, checkpoint.root_b64, note, signer.key_id, row["created_at"])


def list_checkpoints(archive: Archive) -> list[StoredCheckpoint]:
    """Every stored checkpoint, oldest first, with its timestamp or last failure."""
    rows = archive.db.execute(
        "SELECT c.size, c.root_hash, c.note, c.key_id, c.created_at, "
        "t.tsa_url, t.gen_time, t.serial, "
        "(SELECT error FROM timestamp_failures f WHERE f.checkpoint_size = c.size "
        " ORDER BY f.id DESC LIMIT 1) "
        "FROM checkpoints c LEFT JOIN timestamps t ON t.checkpoint_size = c.size ORDER BY c.size"
    ).fetchall()
    out = []
    for size, root, note, key_id, created, tsa_url, gen_time, serial, error in rows:
        stamp = {"tsa_url": tsa_url, "gen_time": gen_time, "serial": serial} if gen_time else None
        out.append(
            StoredCheckpoint(size, root, note, key_id, created, stamp, None if stamp else error)
        )
    return out


def latest(archive: Archive) -> StoredCheckpoint:
    """The newest checkpoint, or NotFound if no snapshot run has made one yet."""
    found = list_checkpoints(archive)
    if not found:
        raise NotFound("the archive has no checkpoint yet; run 'readout snapshot' first.")
    return found[-1]


def find_record(archive: Archive, ref: str) -> tuple[int, bytes]:
    """A log record by its sequence number or by its SHA-256 (hex, or a unique prefix).

    A reference of digits only is a sequence number first; if no record has
    that number and it is 8 or more digits long, it is tried as a hash prefix.
    """
    ref = ref.strip().lower()
    row = None
    if ref.isdigit():
        row = archive.db.execute("SELECT seq, record FROM log WHERE seq = ?", [int(ref)]).fetchone()
    is_hex = len(ref) >= 8 and all(c in "0123456789abcdef" for c in ref)
    if row is None and is_hex:
        rows = archive.db.execute(
            "SELECT seq, record FROM log WHERE record_sha256 LIKE ? LIMIT 2", [ref + "%"]
        ).fetchall()
        if len(rows) > 1:
            raise UsageError(f"record hash prefix {ref} is ambiguous; give more digits.")
        row = rows[0] if rows else None
    elif not ref.isdigit() and not is_hex:
        raise UsageError(
            f"{ref!r} is neither a record number nor a record SHA-256 (8+ hex digits)."
        )
    if row is None:
        raise NotFound(f"no record {ref} in the log.")
    return int(row[0]), row[1].encode("utf-8")


def prove(archive: Archive, ref: str) -> tuple[TlogProof, bytes]:
    """An inclusion proof of one record against the latest checkpoint, and the record."""
    seq, record = find_record(archive, ref)
    head = latest(archive)
    if seq >= head.size:
        raise NotFound(
            f"record {seq} is newer than the latest checkpoint ({head.size} records); "
            "the next snapshot run will cover it."
        )
    proof = merkle_log(archive.db).inclusion_proof(seq, head.size)
    return TlogProof(seq, tuple(proof), head.note), record


@dataclass(frozen=True)
class Consistency:
    """A consistency proof from a checkpoint someone kept to the archive's latest one."""

    old: Checkpoint
    new: Checkpoint
    new_note: str
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``log consistency --json`` object."""
        return {
            "origin": self.new.origin,
            "old_size": self.old.size,
            "old_root": self.old.root_b64,
            "new_size": self.new.size,
            "new_root": self.new.root_b64,
            "proof": [base64.b64encode(p).decode() for p in self.proof],
            "checkpoint": self.new_note,
        }


def open_old_checkpoint(archive: Archive, note: str) -> Checkpoint:
    """Parse and check a checkpoint someone kept: one of this archive's keys, this origin."""
    try:
        return open_checkpoint(note, note_verifiers(archive), origin(archive))
    except ProvenanceError as exc:
        raise UsageError(f"that checkpoint does not check out against this archive: {exc}") from exc


def consistency(archive: Archive, old_note: str) -> Consistency:
    """Prove that the latest checkpoint extends ``old_note``; ProofError if it cannot."""
    old = open_old_checkpoint(archive, old_note)
    head = latest(archive)
    new = Checkpoint.parse(head.note.split("\n\n")[0] + "\n")
    tree = merkle_log(archive.db)
    proof: Sequence[bytes] = ()
    if 0 < old.size <= new.size:
        proof = tree.consistency_proof(old.size, new.size)
    check_consistency(old, new, list(proof))
    return Consistency(old, new, head.note, tuple(proof))
