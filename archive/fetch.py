"""Fetch one page over HTTP, bounded in time and size, politely, and never raise for it.

Every outcome, good or bad, comes back as a ``FetchResult``: a failure carries
one plain sentence in ``error`` and no body, so the pipeline can record it as a
failed observation without touching any stored version.

Politeness: with the validators of the last good observation the request is
conditional (If-None-Match / If-Modified-Since) and a 304 comes back as
``not_modified``; refused connections, timeouts, 429 and 5xx answers are
retried with exponential backoff and jitter, honouring Retry-After (up to
``max_retry_after``; a server asking for longer is taken at its word and the
fetch fails, saying so).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from archive import __version__
from archive.timeutil import utcnow

#: Response headers kept with every observation (lowercase names).
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "content-language",
    "last-modified",
    "etag",
    "date",
    "cache-control",
    "expires",
    "server",
    "retry-after",
)

DEFAULT_USER_AGENT = f"readout/{__version__} (+https://pypi.org/project/readout-archive/)"


@dataclass(frozen=True)
class FetchConfig:
    """How to fetch: per-request timeout, size cap, parallelism and identity."""

    timeout: float = 30.0
    max_bytes: int = 50_000_000
    concurrency: int = 16  # across hosts; per_host keeps each site at one request at a time
    per_host: int = 1
    user_agent: str = DEFAULT_USER_AGENT
    retries: int = 2
    backoff: float = 1.0  # seconds before the first retry, doubled each time, with jitter
    max_retry_after: float = 120.0
    host_delay: float = 0.0  # seconds between the end of one request to a host and the next
    robots: bool = True  # honour robots.txt (a watch can opt out)


def user_agent(contact: str | None) -> str:
    """The User-Agent: who we are and, when the archive has one, how to reach its operator."""
    if not contact:
        return DEFAULT_USER_AGENT
    return f"readout/{__version__} (+https://pypi.org/project/readout-archive/; {contact})"


#: Statuses worth asking again: rate limiting and transient server trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Validators:
    """What the last good observation's response said, to make the next request conditional."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The conditional request headers."""
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class FetchResult:
    """What one fetch produced: a body with its metadata, or an error sentence."""

    url: str
    started_at: datetime
    elapsed_ms: int
    final_url: str | None = None
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    error: str | None = None
    not_modified: bool = False  # a 304 to a conditional request: the last body still holds
    attempts: int = 1
    retryable: bool = False
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """True when a body arrived with a 2xx status."""
        return self.error is None and self.body is not None


def make_client(config: FetchConfig) -> httpx.Client:
    """An httpx client shared by all fetches of a run (connection pooling, redirects)."""
    return httpx.Client(
        follow_redirects=True,
        max_redirects=10,
        timeout=httpx.Timeout(config.timeout),
        limits=httpx.Limits(
            max_connections=max(config.concurrency * 2, 10),
            max_keepalive_connections=max(config.concurrency, 5),
        ),
        headers={"User-Agent": config.user_agent, "Accept": "text/html,*/*;q=0.8"},
        http2=True,  # used where a server offers it over TLS (ALPN)
    )


def fetch(
    client: httpx.Client,
    url: str,
    config: FetchConfig,
    validators: Validators | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """GET ``url`` (conditionally, given validators), retrying what is worth retrying."""
    attempt = 0
    while True:
        result = _fetch_once(client, url, config, validators)
        attempt += 1
        if not result.retryable or attempt > config.retries:
            return replace(result, attempts=attempt)
        if result.retry_after is not None and result.retry_after > config.max_retry_after:
            return replace(
                result,
                attempts=attempt,
                error=(result.error or "").rstrip(".")
                + f"; it asked to retry after {result.retry_after:g} s, longer than readout waits.",
            )
        delay = result.retry_after
        if delay is None:
            delay = config.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
        sleep(delay)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _fetch_once(
    client: httpx.Client, url: str, config: FetchConfig, validators: Validators | None
) -> FetchResult:
    """One GET, streaming the body and stopping as soon as it exceeds ``max_bytes``."""
    started_at = utcnow()
    clock = time.monotonic()
    deadline = clock + config.timeout

    def result(**kwargs: object) -> FetchResult:
        elapsed = int((time.monotonic() - clock) * 1000)
        return FetchResult(url=url, started_at=started_at, elapsed_ms=elapsed, **kwargs)  # type: ignore[arg-type]

    try:
        request_headers = validators.headers() if validators else {}
        with client.stream("GET", url, headers=request_headers) as response:
            headers = {
                name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
            }
            meta = {
                "final_url": str(response.url),
                "http_status": response.status_code,
                "headers": headers,
            }
            if response.status_code == 304 and request_headers:
                return result(not_modified=True, **meta)
            if response.status_code >= 400:
                reason = response.reason_phrase or "error"
                return result(
                    error=f"the server answered HTTP {response.status_code} {reason}.",
                    retryable=response.status_code in RETRY_STATUSES,
                    retry_after=parse_retry_after(response.headers.get("retry-after")),
                    **meta,
                )
            if response.status_code >= 300:
                return result(
                    error=f"HTTP {response.status_code} came with no usable redirect.",
                    **meta,
                )
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > config.max_bytes:
                return result(error=_too_big(config.max_bytes), **meta)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > config.max_bytes:
                    return result(error=_too_big(config.max_bytes), **meta)
                if time.monotonic() > deadline:
                    return result(
                        error=f"the page took longer than {config.timeout:g} s to download.", **meta
                    )
                chunks.append(chunk)
            return result(body=b"".join(chunks), **meta)
    except httpx.TimeoutException:
        return result(
            error=f"the server did not answer within {config.timeout:g} s.", retryable=True
        )
    except httpx.TooManyRedirects:
        return result(error="the page redirected more than 10 times.")
    except httpx.ConnectError as exc:
        return result(error=f"could not connect to the server ({_reason(exc)}).", retryable=True)
    except httpx.UnsupportedProtocol:
        return result(error="the URL does not use http or https.")
    except httpx.InvalidURL:
        return result(error="the URL is not valid.")
    except httpx.DecodingError:
        return result(error="the server sent a body whose compression is broken.")
    except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
        return result(error=f"the transfer failed ({_reason(exc)}).", retryable=True)
    except httpx.HTTPError as exc:
        return result(error=f"the transfer failed ({_reason(exc)}).")


def _too_big(limit: int) -> str:
    return f"the response is larger than the {limit:,}-byte limit (--max-bytes); it was not stored."


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name does not resolve"
    return text.splitlines()[0][:200]
