"""``make bench``: run every benchmark and write ``bench/report.md``.

Figures, not pass/fail tests: these machines are shared and noisy. Each
benchmark measures a named baseline in the same run and reports the ratio.
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    bench_diff,
    bench_export,
    bench_log,
    bench_polite,
    bench_schedule,
    bench_snapshot,
)

TARGETS = {
    "first_run_pages_per_s": ">= 100",
    "noisy_rerun_pages_per_s": "(extraction runs; no target)",
    "identical_rerun_pages_per_s": ">= 500",
    "peak_rss_mb_process_tree": "< 300",
    "diff_3mb_s": "< 1",
    "diff_300kb_s": "< 0.1",
    "append_sqlite_s": "< 60",
    "inclusion_proof_generate": "< 1 ms",
    "consistency_proof_generate": "< 1 ms",
    "verify_s": "< 30",
    "export_s": "< 30",
    "verify_bundle_s": "< 30",
    "due_selection_s": "< 1",
    "slow_servers_pages_per_s": ">= 50",
    "max_requests_at_once_per_host": "1",
    "recheck_bytes_vs_full": "< 5%",
}


def main() -> int:
    """Run the benchmarks, print and save the report."""
    pages = int(os.environ.get("BENCH_PAGES", "1000"))
    leaves = int(os.environ.get("BENCH_LEAVES", "1000000"))
    observations = int(os.environ.get("BENCH_OBSERVATIONS", "100000"))
    bundle_observations = int(os.environ.get("BENCH_BUNDLE_OBSERVATIONS", "10000"))
    sections = {
        f"snapshot ({pages} pages on loopback)": bench_snapshot.run(pages),
        "diff (1% of sentences edited)": bench_diff.run(),
        f"Merkle log ({leaves:,} leaves)": bench_log.run_tree(leaves),
        f"verify ({observations:,} observations)": bench_log.run_verify(observations),
        "due watches (10,000)": bench_schedule.run(),
        "polite fetching (2,000 slow pages)": bench_polite.run(),
        f"export and verify-bundle ({bundle_observations:,} observations)": bench_export.run(
            bundle_observations
        ),
    }
    lines = [
        "# readout benchmark report",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}",
        "",
    ]
    for title, figures in sections.items():
        lines += [f"## {title}", "", "| figure | value | target |", "| --- | --- | --- |"]
        lines += [f"| {k} | {v} | {TARGETS.get(k, '')} |" for k, v in figures.items()]
        lines.append("")
    report = "\n".join(lines)
    Path(__file__).with_name("report.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
