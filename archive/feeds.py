"""Feeds and listing pages: where new readouts are announced, and how they become watches.

A feed is an RSS or Atom document (parsed with feedparser) or, failing that,
an HTML listing page whose links are read with lxml. Each item link that
matches the feed's ``--match`` pattern (for listing pages: a same-site link)
and is not yet watched becomes a watch with the feed's interval, recording
the feed that discovered it. Feeds are checked at the start of every
``snapshot --due`` and ``run`` round; a feed that cannot be fetched or parsed
is reported and retried next time, never stopping the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import lxml.html

from archive import catalogue
from archive.errors import UsageError, WatchError
from archive.fetch import FetchConfig, fetch, make_client
from archive.repo import Archive
from archive.timeutil import format_time, utcnow
from archive.watches import DEFAULT_EVERY, check_url


@dataclass(frozen=True)
class Feed:
    """A feed or listing page and the rules its discoveries get."""

    url: str
    every_seconds: int
    match: str | None
    added_at: str
    last_checked: str | None = None
    last_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``feed list --json`` form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Discovery:
    """What checking one feed found."""

    feed: str
    new_watches: tuple[str, ...]
    error: str | None = None


def _compile(match: str | None) -> re.Pattern[str] | None:
    if match is None:
        return None
    try:
        return re.compile(match)
    except re.error as exc:
        raise UsageError(f"--match {match!r} is not a valid regular expression ({exc}).") from exc


def add(
    archive: Archive, url: str, every_seconds: int = DEFAULT_EVERY, match: str | None = None
) -> tuple[Feed, bool]:
    """Follow a feed (or update its rules); returns (feed, created)."""
    check_url(url)
    _compile(match)
    existing = archive.db.execute("SELECT added_at FROM feeds WHERE url = ?", [url]).fetchone()
    with catalogue.write_transaction(archive.db):
        archive.db["feeds"].upsert(
            {
                "url": url,
                "every_seconds": every_seconds,
                "match": match,
                "added_at": existing[0] if existing else format_time(utcnow()),
            },
            pk="url",
        )
    return get(archive, url), existing is None


def get(archive: Archive, url: str) -> Feed:
    """One feed, or WatchError."""
    row = archive.db.execute(
        "SELECT url, every_seconds, match, added_at, last_checked, last_error FROM feeds "
        "WHERE url = ?",
        [url],
    ).fetchone()
    if row is None:
        raise WatchError(f"{url} is not a followed feed; 'readout feed list' shows them.")
    return Feed(*row)


def list_all(archive: Archive) -> list[Feed]:
    """Every followed feed, by URL."""
    return [
        Feed(*row)
        for row in archive.db.execute(
            "SELECT url, every_seconds, match, added_at, last_checked, last_error FROM feeds "
            "ORDER BY url"
        ).fetchall()
    ]


def remove(archive: Archive, url: str) -> None:
    """Stop following a feed; the watches it discovered stay."""
    with catalogue.write_transaction(archive.db):
        cursor = archive.db.execute("DELETE FROM feeds WHERE url = ?", [url])
    if cursor.rowcount == 0:
        raise WatchError(f"{url} is not a followed feed; 'readout feed list' shows them.")


def item_links(body: bytes, base_url: str, content_type: str | None) -> list[str]:
    """Absolute item URLs from a feed, or from an HTML listing page's links, in order."""
    import feedparser  # only when a feed is checked: it costs every start otherwise

    parsed = feedparser.parse(body, response_headers={"content-type": content_type or ""})
    if parsed.entries:
        links = [entry.get("link") for entry in parsed.entries]
        return _unique(urljoin(base_url, link) for link in links if link)
    try:
        document = lxml.html.fromstring(body)
    except (ValueError, lxml.etree.ParserError):
        return []
    document.make_links_absolute(base_url, resolve_base_href=True)
    return _unique(href for href in document.xpath("//a/@href") if isinstance(href, str))


def _unique(links: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for link in links:
        clean, _fragment = urldefrag(link.strip())
        if clean.startswith(("http://", "https://")):
            seen.setdefault(clean, None)
    return list(seen)


def select(feed: Feed, links: list[str]) -> list[str]:
    """The links a feed's rules admit: matching --match, else (for listings) the same site."""
    pattern = _compile(feed.match)
    site = urlsplit(feed.url).netloc
    chosen = []
    for link in links:
        if link == feed.url:
            continue
        if pattern is not None:
            if pattern.search(link):
                chosen.append(link)
        elif urlsplit(link).netloc == site:
            chosen.append(link)
    return chosen


def check(archive: Archive, feed: Feed, client: httpx.Client, config: FetchConfig) -> Discovery:
    """Fetch one feed and add a watch for each new item; never raises for a bad feed."""
    fetched = fetch(client, feed.url, config)
    now = format_time(utcnow())
    if not fetched.ok:
        _mark(archive, feed.url, now, fetched.error)
        return Discovery(feed.url, (), fetched.error)
    links = item_links(
        fetched.body or b"", fetched.final_url or feed.url, fetched.headers.get("content-type")
    )
    if not links:
        error = "neither a feed with entries nor a page with links."
        _mark(archive, feed.url, now, error)
        return Discovery(feed.url, (), error)
    new = []
    with catalogue.write_transaction(archive.db):
        for link in select(feed, links):
            if archive.db.execute("SELECT 1 FROM watches WHERE url = ?", [link]).fetchone():
                continue
            archive.db["watches"].insert(
                {
                    "url": link,
                    "name": None,
                    "every_seconds": feed.every_seconds,
                    "selector": None,
                    "ignore": "[]",
                    "added_at": now,
                    "discovered_from": feed.url,
                }
            )
            new.append(link)
        _mark(archive, feed.url, now, None)
    return Discovery(feed.url, tuple(new))


def _mark(archive: Archive, url: str, when: str, error: str | None) -> None:
    with catalogue.write_transaction(archive.db):
        archive.db.execute(
            "UPDATE feeds SET last_checked = ?, last_error = ? WHERE url = ?", [when, error, url]
        )


def check_all(archive: Archive, config: FetchConfig | None = None) -> list[Discovery]:
    """Check every followed feed once."""
    config = config or FetchConfig()
    feeds = list_all(archive)
    if not feeds:
        return []
    with make_client(config) as client:
        return [check(archive, feed, client, config) for feed in feeds]
