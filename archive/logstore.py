"""The Merkle log's storage in the catalogue: complete-subtree hashes in SQLite.

Implements ``provenance.merkle.NodeStore``. Node (level, index) is the hash of
the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level);
only such nodes are ever stored, so appending touches O(log n) rows and no
stored hash ever changes. The tree size lives in ``meta`` (``log_size``) and is
written in the same transaction as the nodes and the observation row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlite_utils

from archive.catalogue import get_meta, set_meta
from provenance.merkle import MerkleLog


class SQLiteNodeStore:
    """Merkle nodes in table ``merkle_nodes``; callers own the transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def get_node(self, level: int, index: int) -> bytes:
        """The stored hash of node (level, index); KeyError if it is not stored."""
        row = self.db.execute(
            "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", [level, index]
        ).fetchone()
        if row is None:
            raise KeyError((level, index))
        return bytes(row[0])

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Store new nodes; an existing node is never overwritten."""
        self.db.conn.executemany(
            "INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)", list(nodes)
        )

    def get_size(self) -> int:
        """The number of leaves in the log."""
        return int(get_meta(self.db, "log_size") or 0)

    def set_size(self, size: int) -> None:
        """Record the number of leaves (in the caller's transaction)."""
        set_meta(self.db, "log_size", str(size))


def merkle_log(db: sqlite_utils.Database) -> MerkleLog:
    """The archive's Merkle log over its catalogue."""
    return MerkleLog(SQLiteNodeStore(db))
