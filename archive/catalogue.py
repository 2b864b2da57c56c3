"""The SQLite catalogue (``readout.db``): tables a researcher can open in Datasette.

Tables:
  ``meta``          archive settings (format version, log origin)
  ``keys``          every public key that ever signed, never deleted
  ``watches``       pages to snapshot, with interval, selector and ignore rules, and the
                    feed that discovered them, if one did
  ``feeds``         RSS/Atom feeds and listing pages whose new items become watches
  ``alerts``        change alerts to deliver (a webhook POST or a watch's command), with tries
  ``log``           every signed record, in order: observations and key
                    rotations (``seq`` is the Merkle leaf index)
  ``observations``  every fetch, including unchanged and failed ones (the
                    queryable columns of its ``log`` record)
  ``versions``      one row per distinct extracted text of a page
  ``changes``       one row per detected edit
  ``contents``      every stored object: kind, size, compressed size
  ``merkle_nodes``  the log's complete-subtree hashes (RFC 6962), append-only
  ``checkpoints``   every signed tree head (C2SP checkpoint notes), by tree size
  ``timestamps``    RFC 3161 tokens over checkpoints, from the configured TSA
  ``timestamp_failures``  each failed attempt to get one, with its reason
  ``cosignatures``  extra signatures on log entries (the new key on a rotation)

Only ``versions.last_seen``, ``last_seq`` and ``observations`` are ever updated
in place, and ``verify`` recomputes them from the signed observations.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

FORMAT_VERSION = "1"


def connect(path: Path) -> sqlite_utils.Database:
    """Open the catalogue in WAL mode with a busy timeout, so readers never block a snapshot."""
    conn = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")
    return db


TABLES = frozenset(
    {
        "meta",
        "keys",
        "watches",
        "log",
        "observations",
        "versions",
        "changes",
        "contents",
        "merkle_nodes",
        "checkpoints",
        "timestamps",
        "timestamp_failures",
        "cosignatures",
        "feeds",
        "alerts",
    }
)


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, writing nothing when the catalogue is already complete.

    Opening an archive must not take SQLite's write lock: a reader that starts
    a deferred transaction and then writes fails at once with SQLITE_BUSY when
    another process committed in between, whatever the busy timeout.
    """
    if (
        set(db.table_names()) >= TABLES
        and get_meta(db, "origin")
        and {"discovered_from", "notify", "ignore_robots"} <= set(db["watches"].columns_dict)
    ):
        return
    create_schema(db)


def create_schema(db: sqlite_utils.Database) -> None:
    """Create every table and index if missing; safe to run on an existing archive."""
    with write_transaction(db):
        db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
        db["keys"].create(
            {
                "key_id": str,
                "algorithm": str,
                "public_key": str,
                "fingerprint": str,
                "created_at": str,
                "status": str,
            },
            pk="key_id",
            not_null={"algorithm", "public_key", "created_at", "status"},
            if_not_exists=True,
        )
        db["watches"].create(
            {
                "url": str,
                "name": str,
                "every_seconds": int,
                "selector": str,
                "ignore": str,
                "added_at": str,
            },
            pk="url",
            not_null={"every_seconds", "ignore", "added_at"},
            if_not_exists=True,
        )
        db["log"].create(
            {
                "seq": int,
                "kind": str,
                "record": str,
                "record_sha256": str,
                "signature": str,
                "key_id": str,
            },
            pk="seq",
            not_null={"kind", "record", "record_sha256", "signature", "key_id"},
            if_not_exists=True,
        )
        db["observations"].create(
            {
                "seq": int,
                "url": str,
                "observed_at": str,
                "outcome": str,
                "http_status": int,
                "final_url": str,
                "content_type": str,
                "last_modified": str,
                "etag": str,
                "elapsed_ms": int,
                "content_sha256": str,
                "content_length": int,
                "text_sha256": str,
                "version": int,
                "change_id": int,
                "error": str,
                "extractor": str,
                "normaliser": str,
                "key_id": str,
            },
            pk="seq",
            not_null={"url", "observed_at", "outcome"},
            foreign_keys=[("seq", "log", "seq")],
            if_not_exists=True,
        )
        db["versions"].create(
            {
                "url": str,
                "version": int,
                "text_sha256": str,
                "content_sha256": str,
                "first_seen": str,
                "last_seen": str,
                "observations": int,
                "first_seq": int,
                "last_seq": int,
            },
            pk=("url", "version"),
            not_null={"text_sha256", "first_seen", "last_seen", "observations"},
            if_not_exists=True,
        )
        db["changes"].create(
            {
                "id": int,
                "url": str,
                "from_version": int,
                "to_version": int,
                "not_before": str,
                "detected_at": str,
                "silent": int,
                "kinds": str,
                "summary": str,
                "inserted_words": int,
                "deleted_words": int,
                "seq": int,
            },
            pk="id",
            not_null={"url", "from_version", "to_version", "not_before", "detected_at"},
            if_not_exists=True,
        )
        db["contents"].create(
            {"sha256": str, "kind": str, "size": int, "stored_size": int, "created_at": str},
            pk="sha256",
            if_not_exists=True,
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS merkle_nodes ("
            "level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, "
            "PRIMARY KEY (level, idx)) WITHOUT ROWID"
        )
        db["checkpoints"].create(
            {
                "size": int,
                "origin": str,
                "root_hash": str,
                "note": str,
                "key_id": str,
                "created_at": str,
            },
            pk="size",
            not_null={"origin", "root_hash", "note", "key_id", "created_at"},
            if_not_exists=True,
        )
        db["timestamps"].create(
            {
                "checkpoint_size": int,
                "tsa_url": str,
                "token": str,
                "gen_time": str,
                "serial": str,
                "created_at": str,
            },
            pk="checkpoint_size",
            not_null={"tsa_url", "token", "gen_time", "created_at"},
            foreign_keys=[("checkpoint_size", "checkpoints", "size")],
            if_not_exists=True,
        )
        db["timestamp_failures"].create(
            {"id": int, "checkpoint_size": int, "tsa_url": str, "at": str, "error": str},
            pk="id",
            not_null={"checkpoint_size", "tsa_url", "at", "error"},
            if_not_exists=True,
        )
        db["cosignatures"].create(
            {"seq": int, "key_id": str, "signature": str},
            pk=("seq", "key_id"),
            not_null={"signature"},
            foreign_keys=[("seq", "log", "seq")],
            if_not_exists=True,
        )
        db["feeds"].create(
            {
                "url": str,
                "every_seconds": int,
                "match": str,
                "added_at": str,
                "last_checked": str,
                "last_error": str,
            },
            pk="url",
            not_null={"every_seconds", "added_at"},
            if_not_exists=True,
        )
        db["alerts"].create(
            {
                "change_id": int,
                "channel": str,
                "target": str,
                "attempts": int,
                "last_error": str,
                "delivered_at": str,
                "created_at": str,
            },
            pk=("change_id", "channel", "target"),
            not_null={"attempts", "created_at"},
            if_not_exists=True,
        )
        for column, kind in (("discovered_from", str), ("notify", str), ("ignore_robots", int)):
            if column not in db["watches"].columns_dict:
                db["watches"].add_column(column, kind)
        db["observations"].create_index(["url", "seq"], if_not_exists=True)
        db["observations"].create_index(["observed_at"], if_not_exists=True)
        db["changes"].create_index(["detected_at"], if_not_exists=True)
        db["changes"].create_index(["url"], if_not_exists=True)
        db["meta"].insert({"key": "format", "value": FORMAT_VERSION}, ignore=True)
        # The log's name in its checkpoints: unique per archive, never changed.
        db["meta"].insert(
            {"key": "origin", "value": f"readout.archive/{secrets.token_hex(8)}"}, ignore=True
        )


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes SQLite's write lock up front (``BEGIN IMMEDIATE``).

    A deferred transaction that reads and then writes fails with SQLITE_BUSY,
    without waiting, if another connection committed in between; taking the
    lock first makes it wait out the busy timeout instead. Nested use becomes a
    savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.execute("COMMIT")


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    """A setting from the ``meta`` table, or None."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    """Write a setting to the ``meta`` table."""
    # Plain SQL: this runs once per log record (the tree size), and sqlite-utils'
    # upsert re-reads the table's schema on every call.
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
