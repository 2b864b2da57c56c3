"""Read-side queries: a page's versions, its changes, one version's text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.errors import NotFound
from archive.repo import Archive
from archive.timeutil import format_time


@dataclass(frozen=True)
class Version:
    """One distinct extracted text of a page and when it was seen."""

    url: str
    version: int
    first_seen: str
    last_seen: str
    observations: int
    text_sha256: str
    content_sha256: str | None

    def to_json(self) -> dict[str, Any]:
        """The contract's ``history --json`` version object."""
        return {
            "version": self.version,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "observations": self.observations,
            "text_sha256": self.text_sha256,
            "content_sha256": self.content_sha256,
        }


@dataclass(frozen=True)
class Change:
    """One detected edit between two consecutive versions of a page."""

    id: int
    url: str
    from_version: int
    to_version: int
    not_before: str
    detected_at: str
    silent: bool
    kinds: tuple[str, ...]
    summary: str

    def to_json(self) -> dict[str, Any]:
        """The contract's ``changes --json`` object."""
        return {
            "id": self.id,
            "url": self.url,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "not_before": self.not_before,
            "detected_at": self.detected_at,
            "silent": self.silent,
            "kinds": list(self.kinds),
            "summary": self.summary,
        }


def versions(archive: Archive, url: str) -> list[Version]:
    """All versions of ``url``, oldest first; NotFound if the archive never stored it."""
    rows = archive.db.execute(
        "SELECT url, version, first_seen, last_seen, observations, text_sha256, content_sha256 "
        "FROM versions WHERE url = ? ORDER BY version",
        [url],
    ).fetchall()
    if not rows:
        seen = archive.db.execute("SELECT 1 FROM observations WHERE url = ? LIMIT 1", [url])
        if seen.fetchone() is None:
            raise NotFound(f"the archive has no observation of {url}.")
    return [Version(*row) for row in rows]


def version(archive: Archive, url: str, number: int) -> Version:
    """One version of ``url`` by number, or NotFound naming the versions that exist."""
    found = versions(archive, url)
    for item in found:
        if item.version == number:
            return item
    have = f"1 to {len(found)}" if found else "none"
    raise NotFound(f"{url} has no version {number} (versions: {have}).")


def text(archive: Archive, item: Version) -> str:
    """The extracted text of a version, checked against its hash on read."""
    return archive.store.get_text(item.text_sha256)


def changes(
    archive: Archive, *, since: datetime | None = None, url: str | None = None
) -> list[Change]:
    """Detected edits, newest first, optionally since a time and for one URL."""
    sql = (
        "SELECT id, url, from_version, to_version, not_before, detected_at, silent, kinds, "
        "summary FROM changes WHERE 1 = 1"
    )
    params: list[Any] = []
    if since is not None:
        sql += " AND detected_at >= ?"
        params.append(format_time(since))
    if url is not None:
        sql += " AND url = ?"
        params.append(url)
    sql += " ORDER BY detected_at DESC, id DESC"
    return [
        Change(
            r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), tuple(json.loads(r[7] or "[]")), r[8]
        )
        for r in archive.db.execute(sql, params).fetchall()
    ]
