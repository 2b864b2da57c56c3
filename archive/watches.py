"""Watches: the pages an archive snapshots, and which of them are due."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from archive import catalogue
from archive.errors import UsageError, WatchError
from archive.normalise import compile_ignore
from archive.pipeline import Target
from archive.repo import Archive
from archive.timeutil import format_time, utcnow

DEFAULT_EVERY = 86400


@dataclass(frozen=True)
class Watch:
    """One watched page and its rules."""

    url: str
    name: str | None
    every_seconds: int
    selector: str | None
    ignore: tuple[str, ...]
    added_at: str
    last_observed: str | None = None
    discovered_from: str | None = None
    ignore_robots: bool = False

    def target(self) -> Target:
        """The snapshot target for this watch."""
        return Target(self.url, self.selector, self.ignore, robots=not self.ignore_robots)

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``watch list --json``."""
        return {
            "url": self.url,
            "name": self.name,
            "every_seconds": self.every_seconds,
            "selector": self.selector,
            "ignore": list(self.ignore),
            "added_at": self.added_at,
            "last_observed": self.last_observed,
            "discovered_from": self.discovered_from,
            "ignore_robots": self.ignore_robots,
        }


def check_url(url: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL with a host, else raise UsageError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{url!r} is not an http:// or https:// URL with a host.")
    return url


def check_selector(selector: str) -> None:
    """Raise UsageError unless ``selector`` is a CSS selector cssselect understands."""
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        raise UsageError(f"{selector!r} is not a valid CSS selector.") from exc


def add(
    archive: Archive,
    url: str,
    *,
    name: str | None = None,
    every_seconds: int = DEFAULT_EVERY,
    selector: str | None = None,
    ignore: tuple[str, ...] = (),
    notify: str | None = None,
    ignore_robots: bool = False,
) -> tuple[Watch, bool]:
    """Add a watch, or update the rules of an existing one; returns (watch, created)."""
    check_url(url)
    if selector:
        check_selector(selector)
    compile_ignore(ignore)
    if notify is not None:
        try:
            if not shlex.split(notify):
                raise ValueError("empty")
        except ValueError as exc:
            raise UsageError(f"--notify {notify!r} is not a command line ({exc}).") from exc
    existing = archive.db.execute("SELECT added_at FROM watches WHERE url = ?", [url]).fetchone()
    added_at = existing[0] if existing else format_time(utcnow())
    with catalogue.write_transaction(archive.db):
        archive.db["watches"].upsert(
            {
                "url": url,
                "name": name,
                "every_seconds": every_seconds,
                "selector": selector,
                "ignore": json.dumps(list(ignore)),
                "added_at": added_at,
                "notify": notify,
                "ignore_robots": int(ignore_robots),
            },
            pk="url",
        )
    return get(archive, url), existing is None


def remove(archive: Archive, url: str) -> None:
    """Stop watching ``url``; its history stays in the archive."""
    with catalogue.write_transaction(archive.db):
        cursor = archive.db.execute("DELETE FROM watches WHERE url = ?", [url])
    if cursor.rowcount == 0:
        raise WatchError(f"{url} is not watched; 'readout watch list' shows what is.")


_SELECT = (
    "SELECT w.url, w.name, w.every_seconds, w.selector, w.ignore, w.added_at, "
    "(SELECT MAX(o.observed_at) FROM observations o WHERE o.url = w.url), w.discovered_from, "
    "w.ignore_robots FROM watches w"
)


def _row(row: Any) -> Watch:
    ignore = tuple(json.loads(row[4] or "[]"))
    return Watch(row[0], row[1], row[2], row[3], ignore, row[5], row[6], row[7], bool(row[8]))


def get(archive: Archive, url: str) -> Watch:
    """One watch, or WatchError."""
    row = archive.db.execute(_SELECT + " WHERE w.url = ?", [url]).fetchone()
    if row is None:
        raise WatchError(f"{url} is not watched; add it with 'readout watch add'.")
    return _row(row)


def list_all(archive: Archive) -> list[Watch]:
    """Every watch, ordered by URL."""
    return [_row(r) for r in archive.db.execute(_SELECT + " ORDER BY w.url").fetchall()]


def targets_for(archive: Archive, urls: list[str]) -> list[Target]:
    """Targets for explicit URLs: a watched URL keeps its rules; others use the defaults."""
    targets = []
    for url in dict.fromkeys(urls):
        check_url(url)
        row = archive.db.execute(_SELECT + " WHERE w.url = ?", [url]).fetchone()
        targets.append(_row(row).target() if row else Target(url))
    return targets
