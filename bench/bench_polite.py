"""Benchmark polite fetching: many slow hosts, and re-checking with conditional requests.

- 2,000 small pages spread over 50 loopback hosts (127.0.0.10-59), every
  response delayed 200 ms by the server: ``readout snapshot`` with default
  settings, the real CLI in a subprocess. The servers record how many
  requests each was answering at once (the per-host limit, measured where it
  matters). Baseline: the ideal for the default concurrency,
  concurrency / 0.2 s.
- The same 2,000 pages again, served with ETags: bytes of response bodies sent
  on the re-check against the first full fetch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from archive.fetch import FetchConfig
from archive.localsite import LocalSite, Page

HOSTS = [f"127.0.0.{i}" for i in range(10, 60)]


def _page(i: int) -> bytes:
    words = " ".join(f"item{(i * 13 + k) % 311}" for k in range(200))
    return (
        f"<html><head><title>Readout {i}</title></head><body><article><h1>Readout {i}</h1>"
        f"<p>{words}</p></article></body></html>"
    ).encode()


def _snapshot(archive: Path, urls: list[str]) -> float:
    env = {**os.environ, "READOUT_KEY_PASSPHRASE": ""}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "--archive", str(archive), "snapshot", "--json", *urls],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"snapshot failed: {proc.stderr.strip()[:300]}")
    return elapsed


def run(pages: int = 2000) -> dict[str, Any]:
    """Time the slow-server run and measure the conditional re-check."""
    sites = [LocalSite(host=h).start() for h in HOSTS]
    try:
        urls = []
        for i in range(pages):
            site = sites[i % len(sites)]
            site.pages[f"/r/{i}"] = Page(_page(i), delay=0.2, etag=f'"r{i}"')
            urls.append(site.url(f"/r/{i}"))
        with tempfile.TemporaryDirectory(prefix="readout-bench-polite-") as tmp:
            archive = Path(tmp) / "archive"
            subprocess.run(
                [sys.executable, "-m", "archive", "--archive", str(archive), "init"],
                capture_output=True,
                check=True,
                env={**os.environ, "READOUT_KEY_PASSPHRASE": ""},
            )
            first = _snapshot(archive, urls)
            full_bytes = sum(s.bytes_sent for s in sites)
            per_host = max(s.max_in_flight for s in sites)
            for s in sites:
                s.bytes_sent = 0
            second = _snapshot(archive, urls)
            recheck_bytes = sum(s.bytes_sent for s in sites)
    finally:
        for s in sites:
            s.stop()
    ideal = FetchConfig().concurrency / 0.2
    return {
        "pages_hosts": f"{pages:,} pages on {len(HOSTS)} hosts, 200 ms per response",
        "slow_servers_pages_per_s": f"{pages / first:.1f} (ideal for the default "
        f"concurrency {FetchConfig().concurrency}: {ideal:.0f})",
        "max_requests_at_once_per_host": per_host,
        "conditional_recheck_pages_per_s": f"{pages / second:.1f}",
        "recheck_bytes_vs_full": f"{recheck_bytes:,} of {full_bytes:,} "
        f"({100 * recheck_bytes / full_bytes:.2f}%)",
    }
