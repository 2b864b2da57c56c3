"""Benchmark ``readout snapshot`` on 1,000 pages of ~50 KB served on loopback.

Pages are spread over eight loopback addresses (127.0.0.2-9), so the default
limit of one fetch at a time per host is honoured as in real use. Three runs of
the real CLI in a subprocess: the first (every page new), a second where every
page is re-rendered with fresh noise (clock, counter, token, sidebar order:
extraction must run, nothing may change), and a third over byte-identical
pages (extraction is skipped). The baseline, measured in the same run, is
plain httpx fetching the same pages with the same concurrency and no work.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from archive.localsite import LocalSite, Page

HOSTS = [f"127.0.0.{i}" for i in range(2, 10)]
WORDS = [
    "minister",
    "delegation",
    "talks",
    "agreement",
    "ceasefire",
    "exchange",
    "humanitarian",
    "council",
    "meeting",
    "government",
    "report",
    "region",
    "budget",
    "railway",
    "border",
    "summit",
    "proposal",
    "draft",
    "memorandum",
    "statement",
    "security",
    "cooperation",
    "economy",
    "schedule",
    "session",
    "negotiation",
    "officials",
]


def _article(rng: random.Random, index: int) -> str:
    paras = []
    while sum(len(p) for p in paras) < 47_000:
        words = [rng.choice(WORDS) for _ in range(rng.randint(25, 60))]
        paras.append(f"<p>Item {index}.{len(paras)}: " + " ".join(words).capitalize() + ".</p>")
    return "\n".join(paras)


class NoisyPage:
    """A page body whose noise changes on every render while the article stays fixed."""

    def __init__(self, index: int, noisy: bool) -> None:
        rng = random.Random(index)
        nav = "".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(60))
        self.head = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>Readout {index}</title></head><body><header><nav><ul>{nav}</ul></nav>"
            "</header><main><article><h1>Readout number "
            f"{index}</h1>{_article(rng, index)}</article></main>"
        ).encode()
        self.noisy = noisy
        self.counter = 0

    def __call__(self) -> bytes:
        if self.noisy:
            self.counter += 1
        stamp = f"{self.counter:08d}"
        tail = (
            f"<aside><h2>Most read</h2><ul><li>Story {stamp}</li></ul></aside>"
            f"<footer><p>Generated at {stamp}</p><form><input type='hidden' value='{stamp}'>"
            "</form></footer></body></html>"
        )
        return self.head + tail.encode()


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def _cli(archive: Path, *args: str) -> tuple[float, int]:
    """Run the CLI; return wall seconds and the peak RSS (kB) of its process tree."""
    env = {**os.environ, "READOUT_ARCHIVE": str(archive), "READOUT_KEY_PASSPHRASE": ""}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archive", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"readout {' '.join(args[:2])} failed: {err.strip()[:300]}")
    return elapsed, peak


def _baseline(urls: list[str]) -> float:
    """Plain httpx GETs of the same pages, 4 at a time: the floor for any fetcher."""
    start = time.perf_counter()
    with httpx.Client() as client, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda u: client.get(u).content, urls))
    return time.perf_counter() - start


def run(pages: int = 1000) -> dict[str, Any]:
    """Run the three snapshot passes and the baseline; return the figures."""
    sites = [LocalSite(host=h).start() for h in HOSTS]
    bodies = [NoisyPage(i, noisy=True) for i in range(pages)]
    urls = []
    for i, body in enumerate(bodies):
        site = sites[i % len(sites)]
        site.pages[f"/readout/{i}"] = Page(body)
        urls.append(site.url(f"/readout/{i}"))
    page_kb = len(bodies[0]()) / 1024
    try:
        with tempfile.TemporaryDirectory(prefix="readout-bench-") as tmp:
            archive = Path(tmp) / "archive"
            _cli(archive, "init")
            # watches keep the command line short, as in a real scheduled job
            with sqlite3.connect(archive / "readout.db") as db:
                db.executemany(
                    "INSERT INTO watches (url, every_seconds, ignore, added_at) "
                    "VALUES (?, 3600, '[]', '2025-06-04T00:00:00.000000Z')",
                    [(u,) for u in urls],
                )
            baseline = _baseline(urls)
            first, peak_first = _cli(archive, "snapshot", "--json")
            second, peak_second = _cli(archive, "snapshot", "--json")
            for body in bodies:
                body.noisy = False
            _cli(archive, "snapshot", "--json")  # settle the bytes once
            third, _ = _cli(archive, "snapshot", "--json")
            peak_mb = max(peak_first, peak_second) / 1024
            size_mb = sum(f.stat().st_size for f in archive.rglob("*") if f.is_file()) / 1e6
    finally:
        for site in sites:
            site.stop()
    return {
        "pages": pages,
        "page_kb": round(page_kb, 1),
        "baseline_fetch_pages_per_s": round(pages / baseline, 1),
        "first_run_pages_per_s": round(pages / first, 1),
        "noisy_rerun_pages_per_s": round(pages / second, 1),
        "identical_rerun_pages_per_s": round(pages / third, 1),
        "first_run_vs_baseline": round(baseline / first, 3),
        "identical_rerun_vs_baseline": round(baseline / third, 3),
        "peak_rss_mb_process_tree": round(peak_mb, 1),
        "archive_mb_after_4_runs": round(size_mb, 1),
    }


if __name__ == "__main__":
    for key, value in run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000).items():
        print(f"{key}: {value}")
