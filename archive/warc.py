"""WARC files, through warcio: export observations as WARC/1.1, import other archivers' WARCs.

Export writes, per successful observation, a ``request`` record (the GET
readout sent), a ``response`` record (the status, the headers readout keeps
and the body bytes exactly as stored) and a ``metadata`` record with our
SHA-256 names, the signed record's hash, its signature and its log index,
so a WARC user can walk back to the verifiable record. warcio computes the
``WARC-Block-Digest`` and ``WARC-Payload-Digest`` (sha1, base32, as replay
tools expect). Two honest limits: readout keeps a subset of response headers
(``fetch.KEPT_HEADERS``), and bodies are stored decoded, so
``Content-Encoding`` and ``Transfer-Encoding`` are left out and
``Content-Length`` is the stored body's length.

Import reads ``response`` records from WARCs written by other archivers and
records each as an observation marked ``imported``, with the capture time
and the WARC's identity; readout signs that it imported the capture, never
that it observed the page itself.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import __version__, checkpoints, pipeline
from archive.errors import ArchiveError, UsageError
from archive.export import Selection, selected_records
from archive.fetch import KEPT_HEADERS, FetchResult
from archive.repo import Archive, Signer
from archive.timeutil import format_time, parse_time
from provenance.hashing import sha256_stream

_DROPPED = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True)
class WarcExport:
    """What a WARC export wrote."""

    path: Path
    observations: int
    records: int


def _warc_date(observed_at: str) -> str:
    """WARC/1.1 dates may carry fractions of a second; keep microseconds."""
    return parse_time(observed_at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def export_warc(archive: Archive, out: Path, selection: Selection) -> WarcExport:
    """Write the selected successful observations to ``out`` (gzip if it ends in .gz)."""
    if out.exists():
        raise UsageError(f"{out} exists; choose a new file for the WARC.")
    origin = checkpoints.origin(archive)
    size = archive.db.execute("SELECT COUNT(*) FROM log").fetchone()[0]
    count = written = 0
    tmp = out.with_name(out.name + ".part")
    try:
        with tmp.open("wb") as handle:
            writer = WARCWriter(handle, gzip=out.suffix == ".gz", warc_version="1.1")
            info = {
                "software": f"readout/{__version__}",
                "format": "WARC File Format 1.1",
                "description": f"Observations exported from the readout archive {origin}",
                "readout-origin": origin,
            }
            writer.write_record(writer.create_warcinfo_record(out.name, info))
            written += 1
            for row in selected_records(archive, selection, size):
                seq, kind, record, record_sha, signature, key_id = row
                body = json.loads(record)
                if kind != "observation" or body.get("outcome") != "ok":
                    continue
                content = archive.store.get(body["content_sha256"])
                written += _write_observation(
                    writer, body, content, seq, record_sha, signature, key_id, origin
                )
                count += 1
        if count == 0:
            raise UsageError("nothing was selected: no successful observation matches.")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return WarcExport(out, count, written)


def _write_observation(
    writer: WARCWriter,
    body: dict[str, Any],
    content: bytes,
    seq: int,
    record_sha: str,
    signature: str,
    key_id: str,
    origin: str,
) -> int:
    uri = body.get("final_url") or body["url"]
    date = _warc_date(body["observed_at"])
    status = int(body.get("http_status") or 200)
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    headers = [
        (name.title(), value)
        for name, value in (body.get("headers") or {}).items()
        if name.lower() not in _DROPPED
    ]
    headers.append(("Content-Length", str(len(content))))
    http_headers = StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")
    response = writer.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(content),
        length=len(content),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": date},
    )
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_headers = StatusAndHeaders(
        f"GET {target} HTTP/1.1",
        [
            ("Host", parts.netloc),
            ("User-Agent", f"readout/{__version__}"),
            ("Accept", "text/html,*/*;q=0.8"),
        ],
        is_http_request=True,
    )
    request = writer.create_warc_record(
        uri,
        "request",
        http_headers=request_headers,
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
    )
    meta = {
        "readout": {
            "origin": origin,
            "log_index": seq,
            "record_sha256": record_sha,
            "signature": signature,
            "key_id": key_id,
            "content_sha256": body["content_sha256"],
            "text_sha256": body.get("text_sha256"),
            "version": body.get("version"),
            "observed_at": body["observed_at"],
            "imported": body.get("imported"),
        }
    }
    payload = (json.dumps(meta, sort_keys=True, ensure_ascii=False) + "\n").encode()
    # Its own target URI, so replay tools never serve it in place of the page;
    # WARC/1.1's Refers-To fields tie it to the response it describes.
    metadata = writer.create_warc_record(
        f"urn:readout:record:{record_sha}",
        "metadata",
        payload=io.BytesIO(payload),
        length=len(payload),
        warc_content_type="application/json",
        warc_headers_dict={
            "WARC-Date": date,
            "WARC-Refers-To": response_id,
            "WARC-Refers-To-Target-URI": uri,
            "WARC-Refers-To-Date": date,
        },
    )
    for record in (request, response, metadata):
        writer.write_record(record)
    return 3


@dataclass(frozen=True)
class Capture:
    """One HTTP response found in a WARC file."""

    url: str
    captured_at: datetime
    status: int
    headers: dict[str, str]
    body: bytes
    record_id: str
    software: str | None


def read_captures(stream: BinaryIO) -> Iterator[Capture]:
    """Every HTTP ``response`` record of a WARC, with the software that wrote it."""
    software = None
    for record in ArchiveIterator(stream, check_digests="raise"):
        if record.rec_type == "warcinfo":
            text = record.content_stream().read().decode("utf-8", "replace")
            for line in text.splitlines():
                if line.lower().startswith("software:"):
                    software = line.split(":", 1)[1].strip()
            continue
        if record.rec_type != "response" or record.http_headers is None:
            continue
        uri = record.rec_headers.get_header("WARC-Target-URI")
        if not uri or not uri.startswith(("http://", "https://")):
            continue
        date = record.rec_headers.get_header("WARC-Date") or ""
        body = record.content_stream().read()
        headers = {
            name.lower(): value
            for name, value in record.http_headers.headers
            if name.lower() in KEPT_HEADERS
        }
        status_text = record.http_headers.get_statuscode() or "0"
        yield Capture(
            url=uri,
            captured_at=parse_time(date),
            status=int(status_text) if status_text.isdigit() else 0,
            headers=headers,
            body=body,
            record_id=record.rec_headers.get_header("WARC-Record-ID") or "",
            software=software,
        )


def import_warc(
    archive: Archive,
    signer: Signer,
    path: Path,
    progress: Callable[[pipeline.Outcome], None] | None = None,
) -> list[pipeline.Outcome]:
    """Record every HTTP response in a WARC file as an imported observation, oldest first."""
    try:
        with path.open("rb") as handle:
            file_sha = sha256_stream(handle)
            handle.seek(0)
            captures = sorted(read_captures(handle), key=lambda c: c.captured_at)
    except (ArchiveLoadFailed, ValueError, OSError) as exc:
        raise ArchiveError(f"{path} is not a readable WARC file ({exc}).") from exc
    if not captures:
        raise UsageError(f"{path} holds no HTTP response records to import.")
    outcomes = []
    for capture in captures:
        fetched = FetchResult(
            url=capture.url,
            started_at=capture.captured_at.astimezone(UTC),
            elapsed_ms=0,
            final_url=capture.url,
            http_status=capture.status,
            headers=capture.headers,
            body=capture.body if 200 <= capture.status < 300 else None,
            error=None
            if 200 <= capture.status < 300
            else f"the capture holds HTTP {capture.status}.",
        )
        imported = {
            "source": "warc",
            "file": path.name,
            "file_sha256": file_sha,
            "record_id": capture.record_id,
            "captured_at": format_time(capture.captured_at),
            "observed_by": capture.software or "unknown",
        }
        target = pipeline.Target(capture.url)
        previous = pipeline.previous_observation(archive, capture.url)
        prepared = pipeline.prepare(target, fetched, previous)
        outcome = pipeline.record(archive, signer, prepared, imported=imported)
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome)
    return outcomes
