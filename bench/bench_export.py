"""Benchmark ``readout export`` and ``readout verify-bundle`` on 10,000 observations.

The archive is built through the real pipeline (``bench_log.make_archive``);
both commands run as the real CLI in a subprocess. Baseline, same run: ``zip``
-style copying of the archive's own files (``shutil.make_archive`` of the
archive directory), the least any export that carries the evidence must do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_log import make_archive


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _cli(archive: Path, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "archive", "--archive", str(archive), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "READOUT_KEY_PASSPHRASE": ""},
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"readout {args[0]} failed: {proc.stderr.strip()[:300]}")
    return elapsed, proc.stdout


def run(observations: int = 10_000) -> dict[str, Any]:
    """Export and verify a bundle of the whole archive; report times and sizes."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="readout-bench-export-") as tmp:
        archive = Path(tmp) / "archive"
        make_archive(archive, observations, pages=200)
        archive_bytes = _size(archive)
        start = time.perf_counter()
        shutil.make_archive(str(Path(tmp) / "copy"), "zip", archive)
        baseline = time.perf_counter() - start
        figures["baseline_zip_of_archive_s"] = f"{baseline:.1f}"
        bundle = Path(tmp) / "bundle.zip"
        export_s, _ = _cli(archive, "export", "--out", str(bundle))
        figures["export_s"] = f"{export_s:.1f} ({export_s / baseline:.1f}x baseline)"
        verify_s, out = _cli(archive, "verify-bundle", str(bundle), "--json")
        report = json.loads(out)
        if not report["ok"]:
            raise RuntimeError(f"the bundle did not verify: {report['problems'][:3]}")
        figures["verify_bundle_s"] = f"{verify_s:.1f}"
        figures["verify_bundle_checked"] = ", ".join(
            f"{v} {k}" for k, v in report["checked"].items()
        )
        bundle_bytes = _size(bundle)
        figures["archive_mb"] = f"{archive_bytes / 1e6:.1f}"
        figures["bundle_mb"] = (
            f"{bundle_bytes / 1e6:.1f} ({bundle_bytes / archive_bytes:.2f}x the archive)"
        )
    return figures
