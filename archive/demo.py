"""``make demo``: the main job, offline, on the bundled sample readout.

Serves the sample readout on 127.0.0.1, snapshots it, keeps the signed
checkpoint, serves a silently edited version, snapshots again, shows the
detected edit as a word diff, proves the first record is in the log, and
verifies the archive against the kept checkpoint. Every step is the real
``readout`` command, run as a user would.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from archive.localsite import LocalSite, Page


def _sample(name: str) -> bytes:
    return (resources.files("archive") / "sample" / name).read_bytes()


def _run(archive: Path, *args: str, expect: int = 0) -> str:
    shown = " ".join(shlex.quote(a) for a in args)
    print(f"\n$ readout {shown}", flush=True)
    env = {**os.environ, "READOUT_ARCHIVE": str(archive)}
    proc = subprocess.run(
        [sys.executable, "-m", "archive", *args], capture_output=True, text=True, env=env
    )
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != expect:
        raise SystemExit(f"demo: 'readout {shown}' exited {proc.returncode}, expected {expect}")
    return proc.stdout


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns 0 when the edit was found and the archive verified."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="Keep the demo archive in this directory.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="readout-demo-") as tmp, LocalSite() as site:
        archive = args.keep or Path(tmp) / "archive"
        url = site.url("/en/events/president/news/readout")
        path = "/en/events/president/news/readout"
        site.pages[path] = Page(_sample("readout-v1.html"))
        print(f"Serving the sample readout at {url}")
        _run(archive, "init")
        _run(archive, "watch", "add", url, "--name", "Government meeting, 4 June 2025")
        _run(archive, "snapshot")
        print("\n# A reader keeps the signed checkpoint the archive published after that run.")
        kept = Path(tmp) / "kept.checkpoint"
        kept.write_text(_run(archive, "log", "checkpoint"))
        print("\n# The page is edited without notice: same dates, no correction line.")
        site.pages[path] = Page(_sample("readout-v2.html"))
        out = json.loads(_run(archive, "snapshot", "--json"))
        if out[0]["status"] != "changed":
            raise SystemExit("demo: the silent edit was not detected")
        _run(archive, "changes")
        _run(archive, "diff", url, "--color", "auto")
        _run(archive, "history", url)
        _run(archive, "log", "prove", "0")
        print("\n# Later, the reader checks the archive still extends the checkpoint they kept.")
        _run(archive, "verify", "--against", str(kept))
        if args.keep:
            print(f"\nThe demo archive is kept in {archive}; open readout.db in Datasette.")
    print("\nDemo finished: the silent edit was found and the archive verified.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
