"""The snapshot pipeline: fetch -> extract -> hash -> store -> sign -> log -> detect.

Fetching and extraction run in worker threads (``hostpool``); everything that
writes runs in the calling thread, one observation per transaction, content
first. So a run killed at any instant leaves an archive that verifies: at
worst some objects on disk that no row names yet, which the next run adopts.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from archive import catalogue, detect, extract
from archive.errors import ArchiveError, ExtractError, ReadoutError
from archive.fetch import FetchConfig, FetchResult, Validators, fetch, make_client
from archive.hostpool import host_limited_map
from archive.logstore import merkle_log
from archive.normalise import NORMALISER
from archive.repo import Archive, Signer
from archive.robots import RobotsCache
from archive.signals import UpdateSignals
from archive.store import PutResult
from archive.timeutil import format_time, utcnow
from provenance import records
from provenance.hashing import sha256_hex

RECORD_SCHEMA = "readout.observation/1"
#: From this many pages on, extraction runs in a process pool (one per CPU):
#: trafilatura holds the GIL, so threads alone would use a single core.
PROCESS_POOL_MIN = 16

Extractor = Callable[..., extract.Extraction]


@dataclass(frozen=True)
class Target:
    """One page to snapshot, with the extraction rules of its watch."""

    url: str
    selector: str | None = None
    ignore: tuple[str, ...] = ()
    robots: bool = True  # False: the watch opted out of robots.txt (recorded in each record)


@dataclass(frozen=True)
class Outcome:
    """The result of one page in a run, in the contract's ``snapshot --json`` shape."""

    url: str
    status: str  # new | changed | unchanged | failed
    version: int | None
    observed_at: str
    content_sha256: str | None
    text_sha256: str | None
    change_id: int | None
    error: str | None
    seq: int | None = None
    summary: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object for this page."""
        return {
            "url": self.url,
            "status": self.status,
            "version": self.version,
            "observed_at": self.observed_at,
            "content_sha256": self.content_sha256,
            "text_sha256": self.text_sha256,
            "change_id": self.change_id,
            "error": self.error,
        }


@dataclass(frozen=True)
class _Previous:
    """What the last successful observation of a URL extracted, to skip re-extraction."""

    content_sha256: str
    text_sha256: str
    extraction: dict[str, Any]
    signals: dict[str, Any] | None
    etag: str | None = None
    last_modified: str | None = None

    def validators(self) -> Validators:
        """What makes the next request for this page conditional."""
        return Validators(self.etag, self.last_modified)


@dataclass(frozen=True)
class _Prepared:
    """A fetched page after hashing and extraction, ready to be written."""

    target: Target
    fetched: FetchResult
    content_sha256: str | None = None
    text: str | None = None
    text_sha256: str | None = None
    extraction: dict[str, Any] | None = None
    signals: dict[str, Any] | None = None
    error: str | None = None
    stored: tuple[tuple[PutResult, str], ...] = ()


def snapshot(
    archive: Archive,
    targets: Sequence[Target],
    signer: Signer,
    config: FetchConfig | None = None,
    progress: Callable[[Outcome], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Fetch every target and record one signed observation for each, failures included.

    With ``stop``, pages not yet started when it turns true are left for the
    next run; pages in flight are finished and recorded.
    """
    config = config or FetchConfig()
    previous = {t.url: previous_observation(archive, t.url) for t in targets}
    outcomes: list[Outcome] = []
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(make_client(config))
        runner: Extractor = extract.extract
        cpus = os.cpu_count() or 1
        if len(targets) >= PROCESS_POOL_MIN and cpus > 1:
            pools: list[ProcessPoolExecutor] = []
            lock = threading.Lock()

            def runner(*args: Any, **kwargs: Any) -> extract.Extraction:
                with lock:  # started on first use: a run of unchanged pages never pays for it
                    if not pools:
                        pool = ProcessPoolExecutor(
                            cpus,
                            multiprocessing.get_context("spawn"),
                            initializer=_watch_parent,
                            initargs=(os.getpid(),),
                        )
                        pools.append(stack.enter_context(pool))
                return pools[0].submit(extract.extract, *args, **kwargs).result()

        robots = RobotsCache(client)
        last_seen: dict[str, float] = {}
        pace = threading.Lock()

        def work(target: Target) -> _Prepared:
            prev = previous[target.url]
            if config.robots and target.robots and not robots.allowed(target.url):
                site = urlsplit(target.url).netloc
                fetched = FetchResult(
                    url=target.url,
                    started_at=utcnow(),
                    elapsed_ms=0,
                    error=f"robots.txt at {site} disallows readout from this page; watch it "
                    "with --ignore-robots to record it anyway.",
                )
                return _Prepared(target, fetched, error=fetched.error)
            if config.host_delay:
                host = _host(target)
                with pace:
                    wait = last_seen.get(host, 0.0) + config.host_delay - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            fetched = fetch(client, target.url, config, prev.validators() if prev else None)
            if config.host_delay:
                with pace:
                    last_seen[_host(target)] = time.monotonic()
            prepared = prepare(target, fetched, previous[target.url], runner)
            return store_content(archive, prepared)

        for prepared in host_limited_map(
            targets,
            work,
            _host,
            concurrency=config.concurrency,
            per_host=config.per_host,
            stop=stop,
        ):
            outcome = record(archive, signer, prepared)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    return outcomes


def _watch_parent(parent: int) -> None:
    """In an extraction worker: exit as soon as the snapshot process is gone.

    A worker holds both ends of the pool's queue, so it would never see EOF
    if its parent were killed (kill -9, OOM): without this, it would live on.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="readout-parent-watch").start()


def _host(target: Target) -> str:
    return (urlsplit(target.url).hostname or "").lower()


def _settings(target: Target) -> dict[str, Any]:
    return {"normaliser": NORMALISER, "selector": target.selector, "ignore": list(target.ignore)}


def prepare(
    target: Target,
    fetched: FetchResult,
    prev: _Previous | None,
    extractor: Extractor = extract.extract,
) -> _Prepared:
    """Hash and extract one fetched page (pure apart from CPU; runs in a worker thread)."""
    settings = _settings(target)
    if fetched.not_modified:
        if prev is None or any(prev.extraction.get(k) != v for k, v in settings.items()):
            return _Prepared(
                target,
                fetched,
                error="the server answered 304 Not Modified but readout holds no matching copy.",
            )
        # The server vouches that the last body still holds: same bytes, same text.
        return _Prepared(
            target,
            fetched,
            content_sha256=prev.content_sha256,
            text_sha256=prev.text_sha256,
            extraction=prev.extraction,
            signals=prev.signals,
        )
    if not fetched.ok:
        return _Prepared(target, fetched, error=fetched.error)
    body = fetched.body or b""
    content_sha = sha256_hex(body)
    if (
        prev is not None
        and prev.content_sha256 == content_sha
        and all(prev.extraction.get(k) == v for k, v in settings.items())
    ):
        # Byte-identical response under the same rules: the text cannot differ.
        return _Prepared(
            target,
            fetched,
            content_sha256=content_sha,
            text_sha256=prev.text_sha256,
            extraction=prev.extraction,
            signals=prev.signals,
        )
    try:
        result = extractor(
            body,
            fetched.headers.get("content-type"),
            url=fetched.final_url or target.url,
            selector=target.selector,
            ignore=target.ignore,
        )
    except ExtractError as exc:
        return _Prepared(target, fetched, content_sha256=content_sha, error=str(exc))
    text_bytes = result.text.encode("utf-8")
    return _Prepared(
        target,
        fetched,
        content_sha256=content_sha,
        text=result.text,
        text_sha256=sha256_hex(text_bytes),
        extraction={**settings, "extractor": result.extractor, "encoding": result.encoding},
        signals=result.signals.to_json(),
    )


def previous_observation(archive: Archive, url: str) -> _Previous | None:
    row = archive.db.execute(
        "SELECT l.record FROM observations o JOIN log l ON l.seq = o.seq "
        "WHERE o.url = ? AND o.outcome = 'ok' ORDER BY o.seq DESC LIMIT 1",
        [url],
    ).fetchone()
    if row is None:
        return None
    body = json.loads(row[0])
    if not body.get("extraction"):
        return None
    headers = body.get("headers") or {}
    return _Previous(
        content_sha256=body["content_sha256"],
        text_sha256=body["text_sha256"],
        extraction=body["extraction"],
        signals=body.get("signals"),
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
    )


def store_content(archive: Archive, prepared: _Prepared) -> _Prepared:
    """Write the raw body and the text to the object store (in the worker thread).

    Compression and fsync release the GIL, so this runs in parallel; it always
    finishes before the transaction that names the objects begins.
    """
    puts: list[tuple[PutResult, str]] = []
    body = prepared.fetched.body
    if prepared.content_sha256 is not None and body is not None:
        puts.append((archive.store.put(body, prepared.content_sha256), "raw"))
    if prepared.text is not None and prepared.text_sha256 is not None:
        puts.append(
            (archive.store.put(prepared.text.encode("utf-8"), prepared.text_sha256), "text")
        )
    return replace(prepared, stored=tuple(puts))


def _content_row(put: PutResult, kind: str, now: str) -> list[Any]:
    return [put.sha256, kind, put.size, put.stored_size, now]


def record(
    archive: Archive,
    signer: Signer,
    prepared: _Prepared,
    imported: dict[str, Any] | None = None,
) -> Outcome:
    """Write one observation: content, then in one transaction the signed row and its effects.

    ``imported`` marks a capture made by someone else (a WARC, a web archive):
    it goes into the signed record, which then says readout imported the
    capture, not that readout saw the page.
    """
    fetched = prepared.fetched
    observed_at = format_time(fetched.started_at)
    url = prepared.target.url
    ok = prepared.error is None and prepared.text_sha256 is not None
    # Content goes to disk before the transaction that names it.
    puts = prepared.stored or store_content(archive, prepared).stored

    with catalogue.write_transaction(archive.db):
        now = format_time(utcnow())
        for put, kind in puts:
            archive.db.execute(
                "INSERT OR IGNORE INTO contents (sha256, kind, size, stored_size, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                _content_row(put, kind, now),
            )
        head = archive.db.execute(
            "SELECT seq, record_sha256 FROM log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq = 0 if head is None else head[0] + 1
        prev_hash = None if head is None else head[1]

        status, version, change = "failed", None, None
        current = archive.db.execute(
            "SELECT version, text_sha256, last_seq FROM versions WHERE url = ? "
            "ORDER BY version DESC LIMIT 1",
            [url],
        ).fetchone()
        if ok:
            if current is not None and current[1] == prepared.text_sha256:
                status, version = "unchanged", current[0]
            else:
                status = "new" if current is None else "changed"
                version = 1 if current is None else current[0] + 1
                if current is not None:
                    change = _detect(archive, url, current, prepared, version, observed_at)

        body: dict[str, Any] = {
            "schema": RECORD_SCHEMA,
            "seq": seq,
            "prev": prev_hash,
            "key_id": signer.key_id,
            "url": url,
            "observed_at": observed_at,
            "outcome": "ok" if ok else "failed",
            "http_status": fetched.http_status,
            "final_url": fetched.final_url,
            "headers": fetched.headers,
            "elapsed_ms": fetched.elapsed_ms,
            "content_sha256": prepared.content_sha256,
            "content_length": len(fetched.body) if fetched.body is not None else None,
            "text_sha256": prepared.text_sha256 if ok else None,
            "extraction": prepared.extraction if ok else None,
            "signals": prepared.signals if ok else None,
            "version": version,
            "change": change,
            "error": prepared.error,
        }
        if imported is not None:
            body["imported"] = imported
        if not prepared.target.robots:
            body["robots"] = "ignored"  # the watch's opt-out, on the record
        signed = records.sign(body, signer.private, signer.key_id)
        append_to_log(archive, "observation", signed)
        archive.db.execute(
            "INSERT INTO observations (seq, url, observed_at, outcome, http_status, final_url, "
            "content_type, last_modified, etag, elapsed_ms, content_sha256, content_length, "
            "text_sha256, version, change_id, error, extractor, normaliser, key_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                seq,
                url,
                observed_at,
                body["outcome"],
                fetched.http_status,
                fetched.final_url,
                fetched.headers.get("content-type"),
                fetched.headers.get("last-modified"),
                fetched.headers.get("etag"),
                fetched.elapsed_ms,
                prepared.content_sha256,
                body["content_length"],
                body["text_sha256"],
                version,
                change["id"] if change else None,
                prepared.error,
                (body["extraction"] or {}).get("extractor"),
                (body["extraction"] or {}).get("normaliser"),
                signer.key_id,
            ],
        )
        if status == "unchanged":
            archive.db.execute(
                "UPDATE versions SET last_seen = ?, last_seq = ?, observations = observations + 1 "
                "WHERE url = ? AND version = ?",
                [observed_at, seq, url, version],
            )
        elif ok:
            archive.db.execute(
                "INSERT INTO versions (url, version, text_sha256, content_sha256, first_seen, "
                "last_seen, observations, first_seq, last_seq) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                [
                    url,
                    version,
                    prepared.text_sha256,
                    prepared.content_sha256,
                    observed_at,
                    observed_at,
                    seq,
                    seq,
                ],
            )
        if change is not None:
            archive.db.execute(
                "INSERT INTO changes (id, url, from_version, to_version, not_before, detected_at, "
                "silent, kinds, summary, inserted_words, deleted_words, seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    change["id"],
                    url,
                    change["from_version"],
                    change["to_version"],
                    change["not_before"],
                    change["detected_at"],
                    int(change["silent"]),
                    json.dumps(change["kinds"]),
                    change["summary"],
                    change["inserted_words"],
                    change["deleted_words"],
                    seq,
                ],
            )
    return Outcome(
        url=url,
        status=status,
        version=version,
        observed_at=observed_at,
        content_sha256=prepared.content_sha256,
        text_sha256=body["text_sha256"],
        change_id=change["id"] if change else None,
        error=prepared.error,
        seq=seq,
        summary=change["summary"] if change else None,
    )


def append_to_log(archive: Archive, kind: str, signed: records.SignedRecord) -> None:
    """Add a signed record to the ``log`` table and the Merkle tree (caller's transaction).

    The record's canonical bytes are the Merkle leaf, and its ``seq`` is the
    leaf index: the two can never drift apart, because both are written here
    in one transaction and checked against each other.
    """
    seq = signed.body()["seq"]
    tree = merkle_log(archive.db)
    if tree.size != seq:
        raise ArchiveError(
            f"the Merkle log holds {tree.size} records but the next record is {seq}; "
            "run 'readout verify'."
        )
    archive.db.execute(
        "INSERT INTO log (seq, kind, record, record_sha256, signature, key_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            seq,
            kind,
            signed.data.decode("utf-8"),
            signed.sha256,
            signed.signature_b64,
            signed.key_id,
        ],
    )
    tree.append(signed.data)


def _detect(
    archive: Archive,
    url: str,
    current: Iterable[Any],
    prepared: _Prepared,
    version: int,
    observed_at: str,
) -> dict[str, Any]:
    """Diff the page's current version against the new text and describe the edit."""
    old_version, old_text_sha, old_last_seq = current
    last = archive.db.execute(
        "SELECT o.observed_at, l.record FROM observations o JOIN log l ON l.seq = o.seq "
        "WHERE o.seq = ?",
        [old_last_seq],
    ).fetchone()
    if last is None:
        raise ReadoutError(
            f"observation {old_last_seq} is missing from the catalogue; run 'readout verify'."
        )
    old_record = json.loads(last[1])
    old_text = archive.store.get_text(old_text_sha)
    new_text = prepared.text
    if new_text is None:
        new_text = archive.store.get_text(prepared.text_sha256 or "")
    edit, _ops = detect.detect(
        old_text,
        new_text,
        UpdateSignals.from_json(old_record.get("signals")),
        UpdateSignals.from_json(prepared.signals),
        old_record.get("headers") or {},
        prepared.fetched.headers,
    )
    row = archive.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM changes").fetchone()
    return {
        "id": row[0],
        "from_version": old_version,
        "to_version": version,
        "not_before": last[0],
        "detected_at": observed_at,
        "silent": edit.silent,
        "kinds": list(edit.kinds),
        "summary": edit.summary,
        "inserted_words": edit.inserted_words,
        "deleted_words": edit.deleted_words,
    }
