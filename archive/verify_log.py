"""Verification of the transparency log: the Merkle tree, checkpoints, timestamps.

The tree is rebuilt in memory from the records as they are now and compared
with the stored nodes and with every stored checkpoint; a checkpoint someone
kept (``verify --against``) must be one this log still extends. A rewrite
that was made consistently everywhere inside the archive (records re-signed,
tree rebuilt, checkpoints re-signed) passes the first checks: only a
checkpoint kept outside the archive, or a timestamp token, can catch it, and
that is what they are for.
"""

from __future__ import annotations

import base64
import hmac

from archive import checkpoints, timestamping
from archive.errors import ReadoutError
from archive.repo import Archive
from archive.report import Report
from provenance.checkpoint import Checkpoint, open_checkpoint
from provenance.errors import ProvenanceError
from provenance.merkle import MemoryNodeStore, MerkleLog, leaf_hash
from provenance.timestamp import verify_token

#: Leaf mismatches named one by one before the rest are summarised.
MAX_NAMED = 20


def rebuild(leaves: list[bytes]) -> MerkleLog:
    """The Merkle tree the records imply, built in memory."""
    tree = MerkleLog(MemoryNodeStore())
    tree.append_leaf_hashes(leaf_hash(data) for data in leaves)
    return tree


def verify_tree(archive: Archive, report: Report, leaves: list[bytes]) -> MerkleLog:
    """Compare the stored Merkle nodes with the tree the records imply; return the latter."""
    tree = rebuild(leaves)
    store = tree.store
    assert isinstance(store, MemoryNodeStore)
    row = archive.db.execute("SELECT value FROM meta WHERE key = 'log_size'").fetchone()
    stored_size = int(row[0]) if row else 0
    if stored_size != tree.size:
        report.add(
            f"the Merkle log says it holds {stored_size} records but the log has {tree.size}",
            "merkle log",
        )
    named = 0
    wrong_upper = 0
    seen = 0
    for level, index, digest in archive.db.execute(
        "SELECT level, idx, hash FROM merkle_nodes ORDER BY level, idx"
    ):
        seen += 1
        try:
            expected = store.get_node(level, index)
        except KeyError:
            report.add(
                "a stored Merkle node has no record under it", f"merkle node {level}/{index}"
            )
            continue
        if hmac.compare_digest(bytes(digest), expected):
            continue
        if level == 0:
            named += 1
            if named <= MAX_NAMED:
                report.add("the Merkle leaf does not match this record", f"log entry {index}")
        else:
            wrong_upper += 1
    if named > MAX_NAMED:
        report.add(
            f"{named - MAX_NAMED} more Merkle leaves do not match their records", "merkle log"
        )
    if wrong_upper:
        report.add(
            f"{wrong_upper} stored Merkle nodes above the leaves do not match the records",
            "merkle log",
        )
    expected_nodes = sum(len(level) for level in store.levels)
    if seen < expected_nodes:
        report.add(f"{expected_nodes - seen} Merkle nodes are missing", "merkle log")
    report.count("merkle_nodes", seen)
    return tree


def verify_checkpoints(archive: Archive, report: Report, tree: MerkleLog) -> None:
    """Check each stored checkpoint's signature, and its root against the records."""
    try:
        origin = checkpoints.origin(archive)
        verifiers = checkpoints.note_verifiers(archive)
    except ReadoutError as exc:
        report.add(str(exc), "meta")
        return
    for size, root_b64, note in archive.db.execute(
        "SELECT size, root_hash, note FROM checkpoints ORDER BY size"
    ).fetchall():
        where = f"checkpoint {size}"
        report.count("checkpoints")
        try:
            checkpoint = open_checkpoint(note, verifiers, origin)
        except ProvenanceError as exc:
            report.add(f"the signed checkpoint does not check out: {exc}", where)
            continue
        if checkpoint.size != size or checkpoint.root_b64 != root_b64:
            report.add("the size or root columns differ from the signed note", where)
        if checkpoint.size > tree.size:
            report.add(
                f"the checkpoint covers {checkpoint.size} records but the log holds only "
                f"{tree.size}: records were removed",
                where,
            )
            continue
        if not hmac.compare_digest(tree.root(checkpoint.size), checkpoint.root_hash):
            report.add(
                f"the records 0-{checkpoint.size - 1} are not the ones this checkpoint signed",
                where,
            )


def verify_timestamps(archive: Archive, report: Report) -> None:
    """Check every stored RFC 3161 token against its checkpoint and the TSA root."""
    rows = archive.db.execute(
        "SELECT t.checkpoint_size, t.token, t.gen_time, c.note FROM timestamps t "
        "LEFT JOIN checkpoints c ON c.size = t.checkpoint_size ORDER BY t.checkpoint_size"
    ).fetchall()
    if not rows:
        return
    roots = timestamping.trusted_roots(archive)
    for size, token_b64, gen_time, note in rows:
        where = f"timestamp of checkpoint {size}"
        if note is None:
            report.add("the token's checkpoint is missing", where)
            continue
        if not roots:
            report.count("timestamps_unchecked")
            continue
        try:
            token = base64.b64decode(token_b64 or "", validate=True)
            info = verify_token(token, note.encode("utf-8"), roots)
        except (ValueError, ProvenanceError) as exc:
            report.add(str(exc).rstrip("."), where)
            continue
        report.count("timestamps")
        if info.gen_time.strftime("%Y-%m-%dT%H:%M:%S") != (gen_time or "")[:19]:
            report.add(f"gen_time column {gen_time} differs from the token's time", where)


def verify_against(archive: Archive, report: Report, tree: MerkleLog, note: str) -> None:
    """Check the log still extends a checkpoint kept outside the archive."""
    where = "the given checkpoint"
    try:
        old = open_checkpoint(
            note, checkpoints.note_verifiers(archive), checkpoints.origin(archive)
        )
    except (ProvenanceError, ReadoutError) as exc:
        report.add(f"it does not check out against this archive's keys and origin: {exc}", where)
        return
    report.count("checkpoints_against", 1)
    if old.size > tree.size:
        report.add(
            f"it covers {old.size} records but the log now holds {tree.size}: "
            "history was truncated",
            where,
        )
        return
    if old.size and not hmac.compare_digest(tree.root(old.size), old.root_hash):
        report.add(
            f"the log's first {old.size} records are not the ones it signed: history was "
            "rewritten" + _first_difference(archive, tree, old),
            where,
        )
        return
    try:
        checkpoints.consistency(archive, note)
    except (ProvenanceError, ReadoutError) as exc:
        report.add(f"the stored tree does not prove consistency with it: {exc}", where)


def _first_difference(archive: Archive, tree: MerkleLog, old: Checkpoint) -> str:
    """Name the first record whose leaf differs from the tree the archive stored, if any.

    A rewrite that rebuilt the stored tree too leaves no trace to compare, and
    then we say so rather than guess.
    """
    for (index, digest), expected in zip(
        archive.db.execute(
            "SELECT idx, hash FROM merkle_nodes WHERE level = 0 AND idx < ? ORDER BY idx",
            [old.size],
        ),
        (tree.store.get_node(0, i) for i in range(old.size)),
        strict=False,
    ):
        if not hmac.compare_digest(bytes(digest), expected):
            return f"; the first changed record is log entry {index}"
    return "; the archive holds no older copy that shows which record changed"
