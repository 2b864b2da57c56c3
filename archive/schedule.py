"""Scheduling: which watches are due, crontab and systemd units, and a foreground loop.

A watch is due when its interval has passed since it was last observed, plus
a jitter fixed per URL (up to ``JITTER`` of the interval), so a thousand
watches added at once spread out instead of firing together, and the same
watch always gets the same offset (testable, and stable across runs). Time is
passed in, never read inside, so tests inject it.
"""

from __future__ import annotations

import hashlib
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from archive import alerts, checkpoints, feeds, pipeline, timestamping
from archive.fetch import FetchConfig
from archive.repo import Archive, Signer
from archive.timeutil import parse_time
from archive.watches import Watch, list_all

#: The largest share of a watch's interval its jitter can add.
JITTER = 0.1


def jitter_seconds(url: str, every_seconds: int) -> float:
    """This URL's fixed offset: a hash of it mapped to [0, JITTER * interval)."""
    fraction = int.from_bytes(hashlib.sha256(url.encode()).digest()[:8], "big") / 2**64
    return fraction * JITTER * every_seconds


def next_due(watch: Watch) -> datetime | None:
    """When the watch is next due (None: never observed, so due now)."""
    if watch.last_observed is None:
        return None
    delay = watch.every_seconds + jitter_seconds(watch.url, watch.every_seconds)
    return parse_time(watch.last_observed) + timedelta(seconds=delay)


def due(archive: Archive, now: datetime) -> list[Watch]:
    """The watches due at ``now``: never observed, or interval (plus jitter) passed."""
    out = []
    for watch in list_all(archive):
        when = next_due(watch)
        if when is None or when <= now:
            out.append(watch)
    return out


def seconds_until_next(archive: Archive, now: datetime) -> float | None:
    """How long until some watch is due (0 if one is now; None if there are no watches)."""
    times = [next_due(w) for w in list_all(archive)]
    if not times:
        return None
    if any(t is None for t in times):
        return 0.0
    soonest = min(t for t in times if t is not None)
    return max(0.0, (soonest - now).total_seconds())


@dataclass(frozen=True)
class Invocation:
    """How the scheduled command is run: the program and the archive it writes."""

    program: tuple[str, ...]
    archive: Path

    def command(self, *args: str) -> str:
        """A shell-quoted command line."""
        return shlex.join([*self.program, "--archive", str(self.archive), *args])


def cron_lines(call: Invocation, every_minutes: int = 10) -> str:
    """Crontab lines: snapshot the due watches every few minutes, logging JSON lines."""
    log = call.archive / "readout.log"
    return (
        "# readout: snapshot the watches that are due; overlapping runs wait for each other.\n"
        f"*/{every_minutes} * * * * {call.command('snapshot', '--due', '--json')}"
        f" >> {shlex.quote(str(log))} 2>&1\n"
    )


def systemd_units(call: Invocation, every_minutes: int = 10) -> str:
    """A oneshot service and a timer for it, separated by a comment naming each file."""
    return (
        "# /etc/systemd/system/readout-snapshot.service\n"
        "[Unit]\n"
        "Description=readout: snapshot the watched pages that are due\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={call.command('snapshot', '--due', '--json')}\n"
        "# exit 3 means some fetches failed and the rest were stored: not a unit failure\n"
        "SuccessExitStatus=3\n"
        "Nice=10\n\n"
        "# /etc/systemd/system/readout-snapshot.timer\n"
        "[Unit]\n"
        "Description=Run readout-snapshot.service every few minutes\n\n"
        "[Timer]\n"
        f"OnCalendar=*:0/{every_minutes}\n"
        "RandomizedDelaySec=60\n"
        "Persistent=true\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def run_loop(
    tick: Callable[[], float | None],
    stop: threading.Event,
    poll: float = 60.0,
) -> None:
    """Call ``tick`` (one snapshot of what is due) until ``stop`` is set.

    ``tick`` returns seconds until something is next due (or None); the loop
    sleeps until then, at most ``poll`` seconds, waking at once on ``stop``.
    """
    while not stop.is_set():
        wait = tick()
        if stop.is_set():
            break
        stop.wait(min(poll, wait) if wait is not None else poll)


@dataclass(frozen=True)
class RunResult:
    """One snapshot run: every page's outcome, the checkpoint it ended with, TSA results."""

    outcomes: list[pipeline.Outcome]
    checkpoint: checkpoints.StoredCheckpoint | None
    stamps: list[timestamping.StampResult]
    discoveries: list[feeds.Discovery] = field(default_factory=list)
    deliveries: list[alerts.Delivery] = field(default_factory=list)


def snapshot_run(
    archive: Archive,
    signer: Signer,
    choose: Callable[[], list[pipeline.Target]],
    config: FetchConfig,
    *,
    lock_wait: float = 60.0,
    progress: Callable[[pipeline.Outcome], None] | None = None,
    stop: Callable[[], bool] | None = None,
    discover: bool = False,
    webhook: str | None = None,
    started: Callable[[int], None] | None = None,
) -> RunResult:
    """Under the writer lock: pick targets, snapshot them, sign a checkpoint; then timestamp.

    The one sequence ``snapshot`` and ``run`` share. ``choose`` runs inside the
    lock, so two overlapping cron runs never pick the same due page. With
    ``discover``, followed feeds are checked first, so a new item is
    snapshotted in the same run that finds it.
    """
    with archive.write_lock(wait=lock_wait):
        checkpoints.catch_up(archive)
        found = feeds.check_all(archive, config) if discover else []
        targets = choose()
        if started is not None:
            started(len(targets))
        outcomes = pipeline.snapshot(archive, targets, signer, config, progress, stop)
        head = checkpoints.make_checkpoint(archive, signer)
        alerts.enqueue(archive, [o.change_id for o in outcomes if o.change_id], webhook)
    # Outside the lock: a slow TSA or alert receiver never holds up the next run.
    stamps = timestamping.stamp_pending(archive)
    return RunResult(outcomes, head, stamps, found, alerts.deliver_pending(archive))
