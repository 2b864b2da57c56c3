"""Benchmark selecting the due watches among 10,000 (``snapshot --due``'s first step).

Each watch has three observations at staggered times, inserted directly (the
selection reads only the watches and observations tables). Baseline, same
run: one SELECT of every watch row, the least any selection must read.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from archive import schedule
from archive.repo import Archive
from archive.timeutil import format_time, utcnow


def run(watches: int = 10_000) -> dict[str, Any]:
    """Time schedule.due over ``watches`` watches; report the due count too."""
    with tempfile.TemporaryDirectory(prefix="readout-bench-due-") as tmp:
        archive, _ = Archive.init(Path(tmp) / "archive")
        now = utcnow()
        conn = sqlite3.connect(Path(tmp) / "archive" / "readout.db")
        conn.execute("PRAGMA foreign_keys = OFF")
        seq = 0
        with conn:
            for i in range(watches):
                url = f"https://example.org/readouts/{i}"
                every = (3600, 21600, 86400)[i % 3]
                conn.execute(
                    "INSERT INTO watches (url, name, every_seconds, selector, ignore, added_at) "
                    "VALUES (?, NULL, ?, NULL, '[]', ?)",
                    [url, every, format_time(now - timedelta(days=3))],
                )
                age = (i % 200) / 100 * every  # the last observation: 0 to 2 intervals ago
                for k in range(3):
                    when = now - timedelta(seconds=age + k * every)
                    conn.execute(
                        "INSERT INTO observations (seq, url, observed_at, outcome) "
                        "VALUES (?, ?, ?, 'ok')",
                        [seq, url, format_time(when)],
                    )
                    seq += 1
        conn.close()
        start = time.perf_counter()
        rows = archive.db.execute("SELECT * FROM watches").fetchall()
        baseline = time.perf_counter() - start
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            due = schedule.due(archive, now)
            best = min(best, time.perf_counter() - start)
        archive.close()
    return {
        "watches": f"{len(rows):,} ({seq:,} observations)",
        "due_now": f"{len(due):,}",
        "due_selection_s": f"{best:.3f}",
        "baseline_select_all_watches_s": f"{baseline:.3f}",
    }
