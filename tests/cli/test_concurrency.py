"""Crash safety and the writer lock, with real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from support import noisy_page

from archive.repo import Archive


def _cli(archive, *args, **kwargs):
    env = {**os.environ, "NO_COLOR": "1", "READOUT_KEY_PASSPHRASE": ""}
    return subprocess.Popen(
        [sys.executable, "-m", "archive", "--archive", str(archive), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        **kwargs,
    )


def test_kill_9_mid_run_leaves_an_archive_that_verifies(initialised, site, serve):
    urls = []
    for i in range(40):
        urls.append(serve(f"/p{i}", noisy_page(seed=i, topic=f"topic {i}"), delay=0.05))
    proc = _cli(initialised.archive, "snapshot", *urls, "--concurrency", "4")
    deadline = time.monotonic() + 30
    db = initialised.archive / "readout.db"
    import sqlite3

    while time.monotonic() < deadline:
        time.sleep(0.1)
        with sqlite3.connect(db) as conn:
            if conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0] >= 5:
                break
    os.kill(proc.pid, signal.SIGKILL)
    # The run's extraction workers share its stdout pipe: communicate() only
    # returns once they have noticed their parent died and exited too.
    proc.communicate(timeout=30)
    report = initialised.json("verify")
    assert report["ok"] is True, report
    stored = report["checked"]["observations"]
    assert 5 <= stored < 40
    # the next run picks up where it left off
    out = initialised.json("snapshot", *urls)
    assert len(out) == 40
    assert initialised.json("verify")["checked"]["observations"] == stored + 40


def test_a_second_run_waits_or_says_busy(initialised, serve):
    url = serve("/p", noisy_page(seed=1))
    archive = Archive.open(initialised.archive)
    with archive.write_lock():
        busy = initialised("snapshot", url, "--lock-wait", "0", code=1)
        assert "another readout process" in busy.stderr
        waiting = _cli(initialised.archive, "snapshot", url, "--json", "--lock-wait", "20")
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting for the lock
    archive.close()
    out, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0, err
    assert json.loads(out)[0]["status"] == "new"
    assert initialised.json("verify")["checked"]["observations"] == 1


def test_two_concurrent_runs_do_not_corrupt(initialised, serve):
    urls = [serve(f"/c{i}", noisy_page(seed=i, topic=f"item {i}"), delay=0.02) for i in range(15)]
    procs = [_cli(initialised.archive, "snapshot", *urls, "--json") for _ in range(2)]
    errors = [proc.communicate(timeout=60)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    report = initialised.json("verify")
    assert report["ok"] and report["checked"]["observations"] == 30
    statuses = [o["status"] for o in initialised.json("snapshot", *urls)]
    assert set(statuses) == {"unchanged"}
