"""The archive handle: a directory with ``readout.db``, ``objects/`` and ``keys/``.

Library code receives an ``Archive`` and never looks up paths or environment
variables itself; the CLI decides where the archive lives and what passphrase
to use.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from archive import catalogue
from archive.errors import ArchiveBusy, ArchiveError
from archive.store import ObjectStore
from archive.timeutil import format_time, utcnow
from provenance import keys as pkeys
from provenance.errors import ProvenanceError
from provenance.keys import PublicKey

DB_NAME = "readout.db"
KEY_FILE = "ed25519.pem"
PUB_FILE = "ed25519.pub"
NEXT_KEY_FILE = "ed25519.next.pem"


def finish_rotation(key_dir: Path, old: PublicKey, new: PublicKey) -> None:
    """Retire the old key file and move the new one into place; safe to repeat.

    The old private key is kept as ``ed25519-<key id>.retired.pem`` (delete it
    once you no longer need it: nothing signs with it again).
    """
    next_path = key_dir / NEXT_KEY_FILE
    if next_path.exists():
        current = key_dir / KEY_FILE
        if current.exists():
            os.replace(current, key_dir / f"ed25519-{old.key_id}.retired.pem")
        os.replace(next_path, current)
    (key_dir / PUB_FILE).write_text(new.pem)
    (key_dir / "ed25519.ssh.pub").write_text(new.openssh + " readout\n")


@dataclass(frozen=True)
class Signer:
    """The archive's active signing key and its id."""

    private: Ed25519PrivateKey
    public: PublicKey

    @property
    def key_id(self) -> str:
        """The id records name in their ``key_id`` field."""
        return self.public.key_id


@dataclass
class Archive:
    """An open archive: its catalogue, its object store and its key directory."""

    root: Path
    db: sqlite_utils.Database
    store: ObjectStore

    @property
    def key_dir(self) -> Path:
        """Where the signing key and its public forms are kept."""
        return self.root / "keys"

    @classmethod
    def init(cls, root: Path, passphrase: bytes | None = None) -> tuple[Archive, bool]:
        """Create an archive and its signing key; on an existing one change nothing.

        Returns the archive and True if it was created by this call.
        """
        if (root / DB_NAME).exists() and (root / "keys" / KEY_FILE).exists():
            return cls.open(root), False
        if root.exists() and not root.is_dir():
            raise ArchiveError(f"{root} exists and is not a directory.")
        try:
            (root / "keys").mkdir(parents=True, exist_ok=True)
            (root / "objects").mkdir(exist_ok=True)
            os.chmod(root / "keys", 0o700)
        except OSError as exc:
            raise ArchiveError(f"cannot create the archive at {root}: {exc.strerror}.") from exc
        private = pkeys.generate()
        public = pkeys.public_key(private)
        try:
            pkeys.save_private_key(root / "keys" / KEY_FILE, private, passphrase)
        except ProvenanceError as exc:
            raise ArchiveError(str(exc)) from exc
        (root / "keys" / PUB_FILE).write_text(public.pem)
        (root / "keys" / "ed25519.ssh.pub").write_text(public.openssh + " readout\n")
        db = catalogue.connect(root / DB_NAME)
        catalogue.create_schema(db)
        with catalogue.write_transaction(db):
            db["keys"].insert(
                {
                    "key_id": public.key_id,
                    "algorithm": "ed25519",
                    "public_key": public.b64,
                    "fingerprint": public.fingerprint,
                    "created_at": format_time(utcnow()),
                    "status": "active",
                },
                ignore=True,
            )
        return cls(root, db, ObjectStore(root / "objects")), True

    @classmethod
    def open(cls, root: Path) -> Archive:
        """Open an existing archive, or raise ArchiveError saying to run ``readout init``."""
        if not (root / DB_NAME).is_file():
            raise ArchiveError(f"no archive at {root}; run 'readout init' first.")
        try:
            db = catalogue.connect(root / DB_NAME)
            catalogue.ensure_schema(db)
        except Exception as exc:  # sqlite3.DatabaseError and friends
            raise ArchiveError(
                f"{root / DB_NAME} is not a readable readout catalogue ({exc})."
            ) from exc
        return cls(root, db, ObjectStore(root / "objects"))

    def close(self) -> None:
        """Close the catalogue connection."""
        self.db.close()

    def public_keys(self) -> dict[str, PublicKey]:
        """Every key that ever signed for this archive, by key id (old keys are kept)."""
        return {
            row["key_id"]: PublicKey.from_b64(row["public_key"]) for row in self.db["keys"].rows
        }

    def active_public_key(self) -> PublicKey:
        """The key new records are signed with."""
        row = self.db.execute(
            "SELECT public_key FROM keys WHERE status = 'active' ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise ArchiveError("the archive has no active signing key; run 'readout init'.")
        return PublicKey.from_b64(row[0])

    def signer(self, passphrase: bytes | None = None) -> Signer:
        """Load the private key and check it matches the archive's active public key."""
        try:
            private = pkeys.load_private_key(self.key_dir / KEY_FILE, passphrase)
        except ProvenanceError as exc:
            raise ArchiveError(str(exc)) from exc
        public = pkeys.public_key(private)
        active = self.active_public_key()
        next_path = self.key_dir / NEXT_KEY_FILE
        if public.raw != active.raw and next_path.exists():
            # A rotation was logged but its key files were not yet swapped.
            try:
                candidate = pkeys.load_private_key(next_path, passphrase)
            except ProvenanceError as exc:
                raise ArchiveError(str(exc)) from exc
            if pkeys.public_key(candidate).raw == active.raw:
                finish_rotation(self.key_dir, public, active)
                private, public = candidate, active
        if public.raw != active.raw:
            raise ArchiveError(
                "the key in keys/ is not the archive's active signing key; restore the right key."
            )
        return Signer(private, public)

    @contextlib.contextmanager
    def write_lock(self, wait: float = 60.0) -> Iterator[None]:
        """Hold the archive's writer lock (an flock on ``lock``), waiting up to ``wait`` s.

        The lock serialises snapshot runs so two never fetch the same page or
        interleave log entries; it dies with the process, so a killed run
        never leaves the archive locked.
        """
        path = self.root / "lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ArchiveBusy(
                            "another readout process is writing to this archive; "
                            "try again when it finishes."
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)
