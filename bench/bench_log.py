"""Benchmark the transparency log: 1,000,000 appends, proofs on that tree, and ``verify``.

- Appending 1,000,000 leaves to the archive's SQLite node store (in batches
  of 10,000 per transaction, as ``catch_up`` does) and to the in-memory store.
  Baseline, same run: the bare SHA-256 work a Merkle tree of that size needs
  (2n - 1 hashes with hashlib, nothing stored).
- Inclusion and consistency proofs for random leaves of the 1,000,000-leaf
  SQLite tree, each generated and verified. Baseline: one indexed SELECT of a
  node from the same table.
- ``readout verify`` of an archive of 100,000 observations (the real CLI in a
  subprocess). The archive is made through the real pipeline (``prepare`` and
  ``record``) from synthetic fetch results, since fetching 100,000 pages is
  not what is measured. Baseline: Ed25519 verification of the same 100,000
  records with cryptography alone, the floor any verifier pays.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from archive import catalogue, checkpoints, pipeline
from archive.fetch import FetchResult
from archive.logstore import SQLiteNodeStore
from archive.repo import Archive
from provenance import records
from provenance.keys import PublicKey
from provenance.merkle import (
    MemoryNodeStore,
    MerkleLog,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

LEAVES = 1_000_000
BATCH = 10_000


def _baseline_hashing(n: int) -> float:
    start = time.perf_counter()
    digest = b"\x00" * 32
    sha = hashlib.sha256
    for i in range(n):
        digest = sha(b"\x00" + i.to_bytes(8, "big")).digest()
    for _ in range(n - 1):
        digest = sha(b"\x01" + digest + digest).digest()
    return time.perf_counter() - start


def _append(tree: MerkleLog, n: int, db: sqlite_utils.Database | None = None) -> float:
    start = time.perf_counter()
    for first in range(0, n, BATCH):
        hashes = [leaf_hash(i.to_bytes(8, "big")) for i in range(first, min(n, first + BATCH))]
        if db is None:
            tree.append_leaf_hashes(hashes)
        else:
            with catalogue.write_transaction(db):
                tree.append_leaf_hashes(hashes)
    return time.perf_counter() - start


def _timed(samples: list[float], fn: Any, *args: Any) -> Any:
    start = time.perf_counter()
    value = fn(*args)
    samples.append(time.perf_counter() - start)
    return value


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"median {statistics.median(ordered) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms"


def run_tree(n: int = LEAVES) -> dict[str, Any]:
    """Append n leaves, then time proofs on the SQLite tree."""
    figures: dict[str, Any] = {}
    baseline = _baseline_hashing(n)
    figures["baseline_sha256_only_s"] = f"{baseline:.1f}"
    memory = MerkleLog(MemoryNodeStore())
    memory_s = _append(memory, n)
    store = memory.store
    assert isinstance(store, MemoryNodeStore)
    figures["append_memory_s"] = f"{memory_s:.1f} ({memory_s / baseline:.1f}x baseline)"
    figures["memory_tree_hash_bytes"] = f"{store.stored_bytes():,}"
    with tempfile.TemporaryDirectory(prefix="readout-bench-log-") as tmp:
        path = Path(tmp) / "tree.db"
        db = catalogue.connect(path)
        catalogue.create_schema(db)
        tree = MerkleLog(SQLiteNodeStore(db))
        sqlite_s = _append(tree, n, db)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        empty = catalogue.connect(Path(tmp) / "empty.db")
        catalogue.create_schema(empty)
        empty.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tree_bytes = path.stat().st_size - (Path(tmp) / "empty.db").stat().st_size
        figures["append_sqlite_s"] = f"{sqlite_s:.1f} ({sqlite_s / baseline:.1f}x baseline)"
        figures["sqlite_tree_bytes"] = f"{tree_bytes:,} ({tree_bytes / n:.0f} B per leaf)"
        assert tree.root() == memory.root()
        rng = random.Random(7)
        root = tree.root()
        gen_inc: list[float] = []
        ver_inc: list[float] = []
        gen_con: list[float] = []
        ver_con: list[float] = []
        select: list[float] = []
        for _ in range(1000):
            index = rng.randrange(n)
            proof = _timed(gen_inc, tree.inclusion_proof, index)
            _timed(ver_inc, verify_inclusion, index, n, tree.leaf_hash_at(index), proof, root)
            old = rng.randrange(1, n)
            cproof = _timed(gen_con, tree.consistency_proof, old)
            old_root = tree.root(old)
            _timed(ver_con, verify_consistency, old, n, cproof, old_root, root)
            _timed(select, tree.store.get_node, 0, index)
        figures["inclusion_proof_generate"] = _ms(gen_inc)
        figures["inclusion_proof_verify"] = _ms(ver_inc)
        figures["consistency_proof_generate"] = _ms(gen_con)
        figures["consistency_proof_verify"] = _ms(ver_con)
        figures["baseline_one_node_select"] = _ms(select)
        db.close()
        empty.close()
        # The snapshot path: one leaf per observation, each in its own transaction.
        single = catalogue.connect(Path(tmp) / "single.db")
        catalogue.create_schema(single)
        one_by_one = MerkleLog(SQLiteNodeStore(single))
        count = min(n, 100_000)
        start = time.perf_counter()
        for i in range(count):
            with catalogue.write_transaction(single):
                one_by_one.append(i.to_bytes(8, "big"))
        per_record = time.perf_counter() - start
        figures["append_sqlite_one_per_transaction"] = (
            f"{count:,} leaves in {per_record:.1f} s ({per_record / count * 1e6:.0f} us per leaf)"
        )
        single.close()
    return figures


def _page(index: int, variant: int) -> bytes:
    words = " ".join(f"word{(index * 31 + k) % 997}" for k in range(300))
    return (
        f"<html><head><title>Readout {index}</title></head><body><article>"
        f"<h1>Readout {index}</h1><p>{words}</p><p>Revision {variant}.</p>"
        f"</article></body></html>"
    ).encode()


def make_archive(root: Path, observations: int, pages: int = 1000) -> float:
    """Build an archive of ``observations`` records through the real pipeline; return seconds."""
    archive, _ = Archive.init(root)
    signer = archive.signer()
    start = time.perf_counter()
    when = datetime(2026, 1, 1, tzinfo=UTC)
    previous: dict[str, Any] = {}
    rounds = observations // pages
    for r in range(rounds):
        for i in range(pages):
            url = f"https://example.org/readouts/{i}"
            target = pipeline.Target(url)
            variant = (r * 7 + i) // 60  # each page changes now and then
            body = _page(i, variant)
            fetched = FetchResult(
                url=url,
                started_at=when,
                elapsed_ms=12,
                final_url=url,
                http_status=200,
                headers={"content-type": "text/html; charset=utf-8"},
                body=body,
            )
            prepared = pipeline.prepare(target, fetched, previous.get(url))
            outcome = pipeline.record(archive, signer, prepared)
            if outcome.status != "unchanged":
                previous[url] = pipeline.previous_observation(archive, url)
            when += timedelta(seconds=1)
    checkpoints.make_checkpoint(archive, signer)
    archive.close()
    return time.perf_counter() - start


def run_verify(observations: int = 100_000) -> dict[str, Any]:
    """Time ``readout verify`` over an archive of ``observations`` records."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="readout-bench-verify-") as tmp:
        root = Path(tmp) / "archive"
        build = make_archive(root, observations)
        figures["archive_build_s"] = f"{build:.1f} ({observations / build:.0f} records/s)"
        with sqlite3.connect(root / "readout.db") as db:
            rows = db.execute("SELECT record, signature, key_id FROM log").fetchall()
            changes = db.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
            key = db.execute("SELECT public_key FROM keys").fetchone()[0]
        figures["archive"] = f"{len(rows):,} records, {changes:,} changes"
        public = PublicKey.from_b64(key)
        start = time.perf_counter()
        for record, signature, _key_id in rows:
            public.verify(records.decode_signature(signature), records.DOMAIN + record.encode())
        baseline = time.perf_counter() - start
        figures["baseline_ed25519_only_s"] = f"{baseline:.1f}"
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "archive", "--archive", str(root), "verify", "--json"],
            capture_output=True,
            text=True,
            env={**os.environ, "READOUT_KEY_PASSPHRASE": ""},
            check=False,
        )
        elapsed = time.perf_counter() - start
        report = json.loads(proc.stdout)
        if not report["ok"]:
            raise RuntimeError(f"verify found problems: {report['problems'][:3]}")
        figures["verify_s"] = f"{elapsed:.1f} ({elapsed / baseline:.1f}x baseline)"
        figures["verify_checked"] = ", ".join(f"{v} {k}" for k, v in report["checked"].items())
    return figures
