"""Content-addressed object store: every raw response and extracted text, once.

An object is named by the SHA-256 of its uncompressed bytes and kept gzip
compressed at ``objects/sha256/ab/cd/<hex>.gz`` (gzip so that a researcher can
read any object with standard tools). Objects are written to a temporary file,
flushed and fsynced, then renamed into place: a reader never sees a partial
object, and content is always on disk before the catalogue row that names it.
An object that already exists is not written again, so an unchanged page costs
no storage.
"""

from __future__ import annotations

import gzip
import hmac
import os
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ArchiveError
from provenance.hashing import is_sha256_hex, sha256_hex

_LEVEL = 6


@dataclass(frozen=True)
class PutResult:
    """What ``ObjectStore.put`` did: the object's name, sizes, and whether it was new."""

    sha256: str
    size: int
    stored_size: int
    created: bool


class ObjectStore:
    """A directory of gzip files named by the SHA-256 of their content."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync

    def path_for(self, sha256: str) -> Path:
        """Where the object named ``sha256`` lives (whether or not it exists)."""
        if not is_sha256_hex(sha256):
            raise ArchiveError(f"{sha256!r} is not a SHA-256 hex digest.")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / f"{sha256}.gz"

    def has(self, sha256: str) -> bool:
        """True if the object is stored."""
        return self.path_for(sha256).is_file()

    def put(self, data: bytes, sha256: str | None = None) -> PutResult:
        """Store ``data`` once; return its name and whether this call created it."""
        name = sha256 or sha256_hex(data)
        path = self.path_for(name)
        if path.is_file():
            return PutResult(name, len(data), path.stat().st_size, created=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        packed = gzip.compress(data, compresslevel=_LEVEL, mtime=0)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(packed)
                handle.flush()
                if self.fsync:
                    os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return PutResult(name, len(data), len(packed), created=True)

    def get(self, sha256: str) -> bytes:
        """The object's bytes, checked against its name; ArchiveError if missing or damaged."""
        path = self.path_for(sha256)
        try:
            data = gzip.decompress(path.read_bytes())
        except FileNotFoundError as exc:
            raise ArchiveError(f"object {sha256} is missing from the archive.") from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise ArchiveError(f"object {sha256} is damaged and cannot be decompressed.") from exc
        if not hmac.compare_digest(sha256_hex(data), sha256):
            raise ArchiveError(f"object {sha256} does not match its hash; it was altered.")
        return data

    def get_text(self, sha256: str) -> str:
        """A stored extracted text (UTF-8)."""
        return self.get(sha256).decode("utf-8")

    def names(self) -> Iterator[str]:
        """Every stored object's name, in no particular order (temporary files skipped)."""
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for path in base.glob("*/*/*.gz"):
            name = path.name[: -len(".gz")]
            if is_sha256_hex(name):
                yield name
