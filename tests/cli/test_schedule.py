"""Scheduling: due watches with injected time, cron and systemd output, and ``run``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

from support import noisy_page

from archive import schedule
from archive.repo import Archive
from archive.timeutil import parse_time


def test_due_picks_exactly_the_due_watches_at_an_injected_time(initialised, serve):
    hourly = serve("/hourly", noisy_page(seed=1))
    daily = serve("/daily", noisy_page(seed=2))
    fresh = serve("/fresh", noisy_page(seed=3))
    initialised("watch", "add", hourly, "--every", "1h")
    initialised("watch", "add", daily, "--every", "1d")
    initialised("snapshot", hourly, daily)
    initialised("watch", "add", fresh, "--every", "1h")
    archive = Archive.open(initialised.archive)
    with sqlite3.connect(initialised.archive / "readout.db") as db:
        (last,) = db.execute("SELECT MAX(observed_at) FROM observations").fetchone()
    t0 = parse_time(last)
    hourly_jitter = schedule.jitter_seconds(hourly, 3600)
    daily_jitter = schedule.jitter_seconds(daily, 86400)
    assert 0 <= hourly_jitter < 360 and 0 <= daily_jitter < 8640

    def due_at(delta: timedelta) -> set[str]:
        return {w.url for w in schedule.due(archive, t0 + delta)}

    assert due_at(timedelta(0)) == {fresh}  # never observed: due at once
    assert due_at(timedelta(seconds=3600 + hourly_jitter - 1)) == {fresh}
    assert due_at(timedelta(seconds=3600 + hourly_jitter + 1)) == {fresh, hourly}
    assert due_at(timedelta(days=1, seconds=daily_jitter + 1)) == {fresh, hourly, daily}
    assert schedule.seconds_until_next(archive, t0) == 0.0
    archive.close()


def test_jitter_spreads_watches_and_is_stable():
    offsets = [schedule.jitter_seconds(f"https://example.org/{i}", 3600) for i in range(1000)]
    assert offsets == [
        schedule.jitter_seconds(f"https://example.org/{i}", 3600) for i in range(1000)
    ]
    buckets = {int(o // 36) for o in offsets}  # ten 36-second buckets across the 6-minute spread
    assert buckets == set(range(10))


def test_schedule_prints_cron_and_systemd(initialised):
    cron = initialised("schedule", "--cron", "--every-minutes", "5").stdout
    assert cron.count("\n") == 2 and "*/5 * * * * " in cron
    assert f"--archive {initialised.archive} snapshot --due --json" in cron
    units = initialised("schedule", "--systemd").stdout
    assert "[Timer]\nOnCalendar=*:0/10" in units and "SuccessExitStatus=3" in units
    assert "ExecStart=" in units and "snapshot --due" in units
    assert "choose --cron or --systemd" in initialised("schedule", code=2).stderr


def test_run_stops_cleanly_on_sigterm_with_the_page_in_flight_recorded(initialised, serve, site):
    fast = serve("/fast", noisy_page(seed=4))
    slow = serve("/slow", noisy_page(seed=5), delay=2.0)
    initialised("watch", "add", fast)
    initialised("watch", "add", slow)
    env = {**os.environ, "NO_COLOR": "1", "READOUT_KEY_PASSPHRASE": ""}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archive",
            "--archive",
            str(initialised.archive),
            "run",
            "--json",
            "--poll",
            "0.5",
            "--concurrency",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while site.hits.get("/slow", 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the slow page is now in flight
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert sorted(line.split('"url": "')[1].split('"')[0] for line in lines) == sorted([fast, slow])
    report = initialised.json("verify")
    assert report["ok"] and report["checked"]["observations"] == 2
    assert initialised.json("log", "checkpoint")["size"] == 2


def test_log_format_json_writes_one_event_per_line(initialised, serve):
    import json as _json

    url = serve("/p", noisy_page(seed=11))
    bad = serve("/bad", b"", status=500)
    result = initialised("snapshot", url, bad, "--log-format", "json", code=3)
    events = [_json.loads(line) for line in result.stderr.splitlines()]
    assert [e["event"] for e in events] == ["start", "page", "page", "checkpoint", "summary"]
    assert events[0]["pages"] == 2 and events[-1] == {**events[-1], "pages": 2, "failed": 1}
    assert {e["status"] for e in events if e["event"] == "page"} == {"new", "failed"}
    assert all(e["time"].endswith("Z") for e in events)
    assert result.stdout.count("\n") == 2  # the text lines still go to stdout


def test_a_terminal_gets_a_progress_bar(initialised, serve, tmp_path):
    import pty

    url = serve("/p", noisy_page(seed=12))
    env = {**os.environ, "NO_COLOR": "1", "READOUT_KEY_PASSPHRASE": "", "COLUMNS": "100"}
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archive", "--archive", str(initialised.archive), "snapshot", url],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    proc.wait(timeout=60)
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    output = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "snapshot" in output and "1/1" in output  # the bar, drawn on the terminal
    assert "new        " + url in output
