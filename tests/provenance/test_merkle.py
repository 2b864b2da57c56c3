"""The Merkle log: published vectors, a naive reference, and every single-bit change rejected."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import ProofError
from provenance.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    MerkleLog,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads(
    (Path(__file__).parent.parent / "data" / "merkle" / "transparency-dev.json").read_text()
)


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(values: list[str] | None) -> list[bytes]:
    return [_b64(v) for v in values or []]


def _log(n: int) -> MerkleLog:
    log = MerkleLog(MemoryNodeStore())
    for i in range(n):
        log.append(i.to_bytes(4, "big"))
    return log


# A naive recursive reference, straight from RFC 9162 section 2.1.
def _mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [_mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


def test_roots_match_the_published_vectors_for_sizes_0_to_8():
    log = MerkleLog(MemoryNodeStore())
    inputs = [bytes.fromhex(h) for h in VECTORS["leaf_inputs_hex"]]
    assert log.root() == EMPTY_ROOT == bytes.fromhex(VECTORS["roots_hex"][0])
    for entry in inputs:
        log.append(entry)
    for size, expected in enumerate(VECTORS["roots_hex"]):
        assert log.root(size).hex() == expected


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: c["file"])
def test_inclusion_vectors(case):
    args = (case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case["proof"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args, _b64(case["root"]))
    else:
        verify_inclusion(*args, _b64(case["root"]))
        log = MerkleLog(MemoryNodeStore())
        for entry in VECTORS["leaf_inputs_hex"]:
            log.append(bytes.fromhex(entry))
        assert log.inclusion_proof(case["leafIdx"], case["treeSize"]) == _proof(case["proof"])


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: c["file"])
def test_consistency_vectors(case):
    args = (case["size1"], case["size2"], _proof(case["proof"]))
    roots = (_b64(case["root1"]), _b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args, *roots)
    else:
        verify_consistency(*args, *roots)
        log = MerkleLog(MemoryNodeStore())
        for entry in VECTORS["leaf_inputs_hex"]:
            log.append(bytes.fromhex(entry))
        assert log.consistency_proof(case["size1"], case["size2"]) == _proof(case["proof"])


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=3000), st.data())
def test_proofs_match_the_naive_reference_and_verify(n, data):
    leaves = [i.to_bytes(4, "big") for i in range(n)]
    log = _log(n)
    size = data.draw(st.integers(min_value=1, max_value=n), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=size), label="old")
    assert log.root(size) == _mth(leaves[:size])
    proof = log.inclusion_proof(index, size)
    assert proof == _path(index, leaves[:size])
    verify_inclusion(index, size, leaf_hash(leaves[index]), proof, log.root(size))
    consistency = log.consistency_proof(old, size)
    expected = [] if old == size else _subproof(old, leaves[:size], True)
    assert consistency == expected
    verify_consistency(old, size, consistency, log.root(old), log.root(size))


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=100), st.data())
def test_every_single_bit_change_is_rejected(n, data):
    log = _log(n)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    old = data.draw(st.integers(min_value=1, max_value=n - 1))
    leaf, root = log.leaf_hash_at(index), log.root()
    proof = log.inclusion_proof(index, n)
    for bit in range(256):
        with pytest.raises(ProofError):
            verify_inclusion(index, n, _flip(leaf, bit), proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(index, n, leaf, proof, _flip(root, bit))
    for position in range(len(proof)):
        bit = data.draw(st.integers(min_value=0, max_value=255))
        bad = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(index, n, leaf, bad, root)
    for wrong in {index ^ 1, n, index + n}:
        with pytest.raises(ProofError):
            verify_inclusion(wrong, n, leaf, proof, root)
    # (A proof for leaf 0 of 3 also fits a tree of 4: RFC 6962 proofs do not bind
    # the size, which is why a checkpoint signs size and root together.)

    consistency = log.consistency_proof(old, n)
    old_root = log.root(old)
    for bit in range(0, 256, 7):
        with pytest.raises(ProofError):
            verify_consistency(old, n, consistency, _flip(old_root, bit), root)
        with pytest.raises(ProofError):
            verify_consistency(old, n, consistency, old_root, _flip(root, bit))
    for position in range(len(consistency)):
        bit = data.draw(st.integers(min_value=0, max_value=255))
        bad = [*consistency[:position], _flip(consistency[position], bit)]
        bad += consistency[position + 1 :]
        with pytest.raises(ProofError):
            verify_consistency(old, n, bad, old_root, root)
    with pytest.raises(ProofError):
        verify_consistency(old, n, [*consistency, consistency[0]], old_root, root)
    with pytest.raises(ProofError):
        verify_consistency(old, n, consistency[:-1], old_root, root)


def test_strict_edge_cases():
    log = _log(5)
    root = log.root()
    with pytest.raises(ProofError, match="at least one leaf"):
        verify_consistency(0, 5, [], EMPTY_ROOT, root)
    with pytest.raises(ProofError, match="empty consistency proof"):
        verify_consistency(5, 5, [root], root, root)
    with pytest.raises(ProofError, match="larger"):
        verify_consistency(6, 5, log.consistency_proof(2), root, root)
    with pytest.raises(ProofError, match="not below"):
        verify_inclusion(5, 5, log.leaf_hash_at(0), log.inclusion_proof(0), root)
    with pytest.raises(ProofError, match="32-byte"):
        verify_inclusion(0, 5, log.leaf_hash_at(0), [b"short", *log.inclusion_proof(0)[1:]], root)
    verify_consistency(5, 5, [], root, root)


def test_appending_touches_only_the_new_complete_subtrees():
    class Counting(MemoryNodeStore):
        def __init__(self):
            super().__init__()
            self.reads = 0
            self.writes = 0

        def get_node(self, level, index):
            self.reads += 1
            return super().get_node(level, index)

        def put_nodes(self, nodes):
            self.writes += len(nodes)
            super().put_nodes(nodes)

    store = Counting()
    log = MerkleLog(store)
    for i in range(1 << 12):
        before = (store.reads, store.writes)
        log.append(str(i).encode())
        reads, writes = store.reads - before[0], store.writes - before[1]
        assert reads <= 12 and writes <= 13
    # amortised: about two nodes written and one read per leaf
    assert store.writes == 2 * (1 << 12) - 1
    assert store.reads < 1 << 12


def test_a_batch_append_equals_single_appends():
    single = _log(1000)
    batch = MerkleLog(MemoryNodeStore())
    batch.append_leaf_hashes(leaf_hash(i.to_bytes(4, "big")) for i in range(400))
    batch.append_leaf_hashes(leaf_hash(i.to_bytes(4, "big")) for i in range(400, 1000))
    assert batch.root() == single.root()
    assert batch.store.levels == single.store.levels


def test_second_preimage_a_node_posing_as_a_leaf_is_rejected():
    log = _log(4)
    left, right = log.store.get_node(0, 0), log.store.get_node(0, 1)
    # The interior node's preimage submitted as a leaf hashes differently (0x00 vs 0x01).
    forged_leaf = leaf_hash(left + right)
    with pytest.raises(ProofError):
        verify_inclusion(0, 2, forged_leaf, [], log.root(4))
    with pytest.raises(ProofError):
        verify_inclusion(0, 2, forged_leaf, [log.store.get_node(1, 1)], log.root(4))
