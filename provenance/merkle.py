"""An append-only Merkle log with RFC 9162 (RFC 6962 hashing) proofs and their verifiers.

Leaf hash ``SHA-256(0x00 || entry)``, interior hash ``SHA-256(0x01 || left ||
right)``; the tree over ``n`` leaves splits at the largest power of two below
``n`` (RFC 9162 section 2.1.1), so sizes that are not powers of two have the
RFC's shape.

Storage keeps only *complete* subtrees: node ``(level, index)`` is the hash of
the perfect subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``.
Such a node never changes once written, appending a leaf writes it and the
complete subtrees it closes (on average two nodes, at most ``log2 n + 1``), and
any root or proof is assembled from O(log n) of them. Where the nodes live is
a ``NodeStore``: ``MemoryNodeStore`` here, the SQLite store in the application.

The verifiers follow RFC 9162 sections 2.1.3.2 and 2.1.4.2 and raise
``ProofError`` with what was expected and what was computed; they never return
a bool.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Protocol

from provenance.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """The RFC 6962 hash of a leaf: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class NodeStore(Protocol):
    """Where a log keeps its complete-subtree hashes and its size.

    Implementations never overwrite a node; callers own transactions.
    """

    def get_node(self, level: int, index: int) -> bytes:
        """The hash of node (level, index); ``KeyError`` if it is not stored."""
        ...

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Store new (level, index, hash) nodes."""
        ...

    def get_size(self) -> int:
        """The number of leaves."""
        ...

    def set_size(self, size: int) -> None:
        """Record the number of leaves after an append."""
        ...


class MemoryNodeStore:
    """A NodeStore in lists, one per level: for verifiers, tests and rebuilding a tree."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = []
        self.size = 0

    def get_node(self, level: int, index: int) -> bytes:
        """The hash of node (level, index); ``KeyError`` if it is not stored."""
        try:
            return self.levels[level][index]
        except IndexError:
            raise KeyError((level, index)) from None

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Store new nodes; each must be the next one on its level."""
        for level, index, digest in nodes:
            while len(self.levels) <= level:
                self.levels.append([])
            if index != len(self.levels[level]):
                raise ValueError(f"node ({level}, {index}) is not the next on its level.")
            self.levels[level].append(digest)

    def get_size(self) -> int:
        """The number of leaves."""
        return self.size

    def set_size(self, size: int) -> None:
        """Record the number of leaves."""
        self.size = size

    def stored_bytes(self) -> int:
        """Bytes of hashes held (for the benchmark's storage figure)."""
        return HASH_SIZE * sum(len(level) for level in self.levels)


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleLog:
    """An append-only RFC 6962 Merkle tree over a NodeStore."""

    def __init__(self, store: NodeStore) -> None:
        self.store = store

    @property
    def size(self) -> int:
        """The number of leaves in the log."""
        return self.store.get_size()

    def append(self, entry: bytes) -> int:
        """Append one entry; return its leaf index."""
        return self.append_leaf_hashes([leaf_hash(entry)])

    def append_leaf_hashes(self, hashes: Iterable[bytes]) -> int:
        """Append leaves by their leaf hashes in one store write; return the first new index.

        Reads only the left siblings that the new leaves complete (none when
        the tree size is even), so a batch costs O(batch + log n) reads.
        """
        size = first = self.store.get_size()
        new: list[tuple[int, int, bytes]] = []
        unpaired: dict[int, bytes] = {}  # level -> the last node there, awaiting its sibling
        for digest in hashes:
            if len(digest) != HASH_SIZE:
                raise ValueError("a leaf hash is 32 bytes.")
            level, index = 0, size
            new.append((0, index, digest))
            while index & 1:
                left = unpaired.pop(level, None)
                if left is None:
                    left = self.store.get_node(level, index - 1)
                digest = node_hash(left, digest)
                level, index = level + 1, index >> 1
                new.append((level, index, digest))
            unpaired[level] = digest
            size += 1
        if new:
            self.store.put_nodes(new)
            self.store.set_size(size)
        return first

    def leaf_hash_at(self, index: int) -> bytes:
        """The stored leaf hash at ``index``."""
        self._check_index(index, self.size)
        return self.store.get_node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the tree over the first ``size`` leaves (default: all)."""
        size = self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._range_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 PATH(index, D[0:size]): the audit path of one leaf."""
        size = self._check_size(size)
        self._check_index(index, size)
        proof: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _split(end - start)
            if index < start + k:
                proof.append(self._range_hash(start + k, end))
                end = start + k
            else:
                proof.append(self._range_hash(start, start + k))
                start += k
        proof.reverse()  # the path runs from the leaf's sibling up to the root's child
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 PROOF(old_size, D[0:new_size]): that the old tree is a prefix of the new."""
        new_size = self._check_size(new_size)
        if not 0 < old_size <= new_size:
            raise ValueError(f"a consistency proof needs 0 < old size <= {new_size}.")
        if old_size == new_size:
            return []
        proof: list[bytes] = []
        m, start, end, complete = old_size, 0, new_size, True
        while True:
            n = end - start
            if m == n:
                if not complete:
                    proof.append(self._range_hash(start, end))
                break
            k = _split(n)
            if m <= k:
                proof.append(self._range_hash(start + k, end))
                end = start + k
            else:
                proof.append(self._range_hash(start, start + k))
                m -= k
                start += k
                complete = False
        proof.reverse()
        return proof

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range the RFC recursion produces (start aligned)."""
        parts: list[bytes] = []
        position, length = start, end - start
        for level in reversed(range(length.bit_length())):
            if length >> level & 1:
                parts.append(self.store.get_node(level, position >> level))
                position += 1 << level
        digest = parts[-1]
        for left in reversed(parts[:-1]):
            digest = node_hash(left, digest)
        return digest

    def _check_size(self, size: int | None) -> int:
        current = self.size
        if size is None:
            return current
        if not 0 <= size <= current:
            raise ValueError(f"the log has {current} leaves; size {size} is out of range.")
        return size

    @staticmethod
    def _check_index(index: int, size: int) -> None:
        if not 0 <= index < size:
            raise ValueError(f"leaf {index} is not in a tree of {size} leaves.")


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a 32-byte SHA-256 hash.")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof implies (RFC 9162 2.1.3.2); ProofError if malformed."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}.")
    _check_hash(leaf, "the leaf hash")
    fn, sn, digest = index, size - 1, bytes(leaf)
    for position, sibling in enumerate(proof):
        _check_hash(sibling, f"proof hash {position}")
        if sn == 0:
            raise ProofError(f"the proof has {len(proof) - position} hashes too many.")
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            digest = node_hash(digest, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is too short for the tree size.")
    return digest


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless ``proof`` shows leaf ``index`` is in the tree with ``root``."""
    _check_hash(root, "the root hash")
    computed = root_from_inclusion_proof(index, size, leaf, proof)
    if not hmac.compare_digest(computed, root):
        raise ProofError(
            f"inclusion proof for leaf {index} of {size} gives root {computed.hex()}, "
            f"expected {bytes(root).hex()}."
        )


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Raise ProofError unless ``proof`` shows the old tree is a prefix of the new one."""
    _check_hash(old_root, "the old root hash")
    _check_hash(new_root, "the new root hash")
    for position, item in enumerate(proof):
        _check_hash(item, f"proof hash {position}")
    if old_size < 1:
        raise ProofError("a consistency proof needs an old tree of at least one leaf.")
    if old_size > new_size:
        raise ProofError(f"the old size {old_size} is larger than the new size {new_size}.")
    if old_size == new_size:
        if proof:
            raise ProofError("trees of equal size need an empty consistency proof.")
        if not hmac.compare_digest(old_root, new_root):
            raise ProofError(f"two trees of {old_size} leaves have different roots.")
        return
    if not proof:
        raise ProofError("the consistency proof is empty.")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for position, item in enumerate(path[1:], start=1):
        if sn == 0:
            raise ProofError(f"the proof has {len(path) - position} hashes too many.")
        if fn & 1 or fn == sn:
            fr = node_hash(item, fr)
            sr = node_hash(item, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, item)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short for the tree sizes.")
    if not hmac.compare_digest(fr, old_root):
        raise ProofError(
            f"the proof gives old root {fr.hex()} for {old_size} leaves, "
            f"expected {bytes(old_root).hex()}."
        )
    if not hmac.compare_digest(sr, new_root):
        raise ProofError(
            f"the proof gives new root {sr.hex()} for {new_size} leaves, "
            f"expected {bytes(new_root).hex()}."
        )
