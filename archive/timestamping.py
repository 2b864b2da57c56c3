"""Trusted timestamps for checkpoints from an RFC 3161 Time-Stamp Authority.

Configured with a TSA URL and the TSA's root certificate (the trust anchor
the tokens are checked against, at issuance and by ``verify``). Each pending
checkpoint's signed note is sent to the TSA; a token is stored only after it
verifies for that note, under that root, with that request's nonce. A TSA
that is down or answers garbage never stops a snapshot run: the failure is
recorded with its reason and the checkpoint is retried on the next run.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import httpx
from cryptography import x509

from archive import __version__, catalogue
from archive.errors import UsageError
from archive.repo import Archive
from archive.timeutil import format_time, utcnow
from provenance.errors import ProvenanceError
from provenance.timestamp import (
    CONTENT_TYPE_QUERY,
    load_certificates,
    make_request,
    verify_token,
)

#: Checkpoints retried per run, newest first: the newest covers all older ones.
MAX_PENDING = 20


@dataclass(frozen=True)
class TsaSettings:
    """Where to ask for timestamps and which root certificates to trust."""

    url: str
    roots_pem: str

    @property
    def roots(self) -> list[x509.Certificate]:
        """The trust anchors, parsed."""
        return load_certificates(self.roots_pem.encode("ascii"))


@dataclass(frozen=True)
class StampResult:
    """What happened to one checkpoint's timestamp request."""

    size: int
    ok: bool
    gen_time: str | None = None
    error: str | None = None


def configure(archive: Archive, url: str | None, roots_pem: bytes | None) -> TsaSettings | None:
    """Set (or with ``url=None`` clear) the TSA; the root certificate is required."""
    if url is None:
        with catalogue.write_transaction(archive.db):
            archive.db.execute("DELETE FROM meta WHERE key = 'tsa_url'")
        return None
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{url!r} is not an http(s) URL of a timestamp authority.")
    if not roots_pem:
        raise UsageError(
            "give the TSA's root certificate (--tsa-root FILE): a timestamp nobody can check "
            "proves nothing."
        )
    try:
        load_certificates(roots_pem)
    except ProvenanceError as exc:
        raise UsageError(str(exc)) from exc
    with catalogue.write_transaction(archive.db):
        catalogue.set_meta(archive.db, "tsa_url", url)
        # Roots accumulate: tokens from an earlier TSA must stay checkable.
        known = catalogue.get_meta(archive.db, "tsa_roots") or ""
        pem = roots_pem.decode("ascii").strip() + "\n"
        if pem not in known:
            catalogue.set_meta(archive.db, "tsa_roots", known + pem)
    return settings(archive)


def settings(archive: Archive) -> TsaSettings | None:
    """The configured TSA, or None."""
    url = catalogue.get_meta(archive.db, "tsa_url")
    roots = catalogue.get_meta(archive.db, "tsa_roots")
    return TsaSettings(url, roots) if url and roots else None


def trusted_roots(archive: Archive) -> list[x509.Certificate]:
    """Every TSA root certificate ever configured: what stored tokens are checked against."""
    pem = catalogue.get_meta(archive.db, "tsa_roots")
    return load_certificates(pem.encode("ascii")) if pem else []


def pending(archive: Archive) -> list[tuple[int, str]]:
    """Checkpoints without a token, newest first: (size, note)."""
    return archive.db.execute(
        "SELECT size, note FROM checkpoints WHERE size NOT IN "
        "(SELECT checkpoint_size FROM timestamps) ORDER BY size DESC LIMIT ?",
        [MAX_PENDING],
    ).fetchall()


def stamp_pending(archive: Archive, timeout: float = 15.0) -> list[StampResult]:
    """Ask the TSA for a token for each pending checkpoint; never raises for a TSA fault."""
    config = settings(archive)
    if config is None:
        return []
    results = []
    headers = {"Content-Type": CONTENT_TYPE_QUERY, "User-Agent": f"readout/{__version__}"}
    with httpx.Client(timeout=timeout, headers=headers) as client:
        for size, note in pending(archive):
            results.append(_stamp_one(archive, client, config, size, note))
    return results


def _stamp_one(
    archive: Archive, client: httpx.Client, config: TsaSettings, size: int, note: str
) -> StampResult:
    message = note.encode("utf-8")
    request = make_request(message)
    try:
        response = client.post(config.url, content=request.as_bytes())
        if response.status_code != 200:
            raise _Failure(f"the TSA answered HTTP {response.status_code}")
        info = verify_token(response.content, message, config.roots, request=request)
    except httpx.HTTPError as exc:
        return _failed(archive, config, size, f"the TSA could not be reached ({exc})")
    except (_Failure, ProvenanceError) as exc:
        return _failed(archive, config, size, str(exc).rstrip("."))
    gen_time = format_time(info.gen_time)
    with catalogue.write_transaction(archive.db):
        archive.db.execute(
            "INSERT OR IGNORE INTO timestamps "
            "(checkpoint_size, tsa_url, token, gen_time, serial, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                size,
                config.url,
                base64.b64encode(response.content).decode("ascii"),
                gen_time,
                str(info.serial_number),
                format_time(utcnow()),
            ],
        )
    return StampResult(size, True, gen_time=gen_time)


class _Failure(Exception):
    pass


def _failed(archive: Archive, config: TsaSettings, size: int, reason: str) -> StampResult:
    with catalogue.write_transaction(archive.db):
        archive.db.execute(
            "INSERT INTO timestamp_failures (checkpoint_size, tsa_url, at, error) "
            "VALUES (?, ?, ?, ?)",
            [size, config.url, format_time(utcnow()), reason],
        )
    return StampResult(size, False, error=reason)
