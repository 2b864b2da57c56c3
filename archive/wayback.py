"""Backfill from the Wayback Machine: list captures with the CDX API, fetch their bytes.

``{endpoint}/cdx/search/cdx?url=URL&output=json`` lists captures (one row per
capture: urlkey, timestamp, original, mimetype, statuscode, digest, length);
``{endpoint}/web/{timestamp}id_/{original}`` returns a capture's original
bytes, without the archive's rewriting. Each capture becomes an observation
marked ``imported`` with its capture time and source, oldest first, so the
edits made before readout started watching are found and diffed like live
ones. The endpoint is a setting (``--endpoint`` or ``READOUT_WAYBACK``), so
tests point it at a local server that speaks the same protocol.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

from archive import pipeline
from archive.errors import ReadoutError, UsageError
from archive.fetch import FetchConfig, fetch, make_client
from archive.repo import Archive, Signer
from archive.timeutil import format_time

DEFAULT_ENDPOINT = "https://web.archive.org"


@dataclass(frozen=True)
class Capture:
    """One capture listed by the CDX API."""

    timestamp: str  # YYYYMMDDhhmmss
    original: str
    status: str
    digest: str

    @property
    def captured_at(self) -> datetime:
        """The capture time, in UTC."""
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def _stamp(value: datetime | None) -> str | None:
    return value.strftime("%Y%m%d%H%M%S") if value else None


def list_captures(
    client: httpx.Client,
    endpoint: str,
    url: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Capture]:
    """Captures of ``url`` with HTTP 200, one per distinct payload digest, oldest first."""
    params = {"url": url, "output": "json", "filter": "statuscode:200", "collapse": "digest"}
    if since:
        params["from"] = _stamp(since) or ""
    if until:
        params["to"] = _stamp(until) or ""
    try:
        response = client.get(f"{endpoint.rstrip('/')}/cdx/search/cdx", params=params)
    except httpx.HTTPError as exc:
        raise ReadoutError(f"the CDX server at {endpoint} could not be reached ({exc}).") from exc
    if response.status_code != 200:
        raise ReadoutError(f"the CDX server answered HTTP {response.status_code}.")
    text = response.text.strip()
    if not text:
        return []
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise ReadoutError("the CDX server's answer is not the JSON it should be.") from exc
    if not rows:
        return []
    header, *entries = rows
    try:
        index = {name: header.index(name) for name in ("timestamp", "original", "statuscode")}
    except (ValueError, AttributeError) as exc:
        raise ReadoutError(
            "the CDX answer lacks the timestamp, original or statuscode field."
        ) from exc
    digest_at = header.index("digest") if "digest" in header else None
    captures = [
        Capture(
            row[index["timestamp"]],
            row[index["original"]],
            row[index["statuscode"]],
            row[digest_at] if digest_at is not None else "",
        )
        for row in entries
    ]
    return sorted(captures, key=lambda c: c.timestamp)


def import_wayback(
    archive: Archive,
    signer: Signer,
    url: str,
    *,
    endpoint: str = DEFAULT_ENDPOINT,
    since: datetime | None = None,
    until: datetime | None = None,
    config: FetchConfig | None = None,
    progress: Callable[[pipeline.Outcome], None] | None = None,
) -> list[pipeline.Outcome]:
    """Record every listed capture of ``url`` as an imported observation, oldest first."""
    if not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"{endpoint!r} is not an http(s) URL of a Wayback server.")
    config = config or FetchConfig()
    outcomes = []
    with make_client(config) as client:
        captures = list_captures(client, endpoint, url, since, until)
        for capture in captures:
            source = f"{endpoint.rstrip('/')}/web/{capture.timestamp}id_/{capture.original}"
            fetched = fetch(client, source, config)
            # The observation is of the page, at the capture's time, not of the archive's URL.
            fetched = replace(
                fetched, url=url, started_at=capture.captured_at, final_url=capture.original
            )
            imported = {
                "source": "wayback",
                "record_id": source,
                "captured_at": format_time(capture.captured_at),
                "observed_by": f"Wayback Machine at {endpoint.rstrip('/')}",
            }
            previous = pipeline.previous_observation(archive, url)
            prepared = pipeline.prepare(pipeline.Target(url), fetched, previous)
            outcome = pipeline.record(archive, signer, prepared, imported=imported)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    return outcomes
