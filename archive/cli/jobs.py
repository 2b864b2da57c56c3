"""Commands for unattended use: the crontab and systemd units to install, and ``run``."""

from __future__ import annotations

import json
import shutil
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from archive import pipeline, schedule
from archive.cli.common import (
    archive_dir,
    cli,
    fetch_config,
    fetch_options,
    handle_errors,
    open_archive,
    passphrase,
)
from archive.errors import ArchiveBusy, UsageError
from archive.timeutil import utcnow


@cli.command("schedule")
@click.option("--cron", "fmt", flag_value="cron", help="Print crontab lines.")
@click.option("--systemd", "fmt", flag_value="systemd", help="Print a systemd service and timer.")
@click.option(
    "--every-minutes",
    type=click.IntRange(min=1, max=59),
    default=10,
    show_default=True,
    help="How often to look for due watches.",
)
@click.pass_context
@handle_errors
def schedule_cmd(ctx: click.Context, fmt: str | None, every_minutes: int) -> None:
    """Print ready-to-install scheduling for 'readout snapshot --due' (cron or systemd)."""
    if fmt is None:
        raise UsageError("choose --cron or --systemd.")
    found = shutil.which("readout")
    program = (found,) if found else (sys.executable, "-m", "archive")
    call = schedule.Invocation(program, archive_dir(ctx).resolve())
    if fmt == "cron":
        click.echo(schedule.cron_lines(call, every_minutes), nl=False)
    else:
        click.echo(schedule.systemd_units(call, every_minutes), nl=False)


@cli.command("run")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Longest wait, in seconds, between looks for due watches.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per page observed.")
@fetch_options
@click.pass_context
@handle_errors
def run_cmd(
    ctx: click.Context,
    poll: float,
    as_json: bool,
    timeout: float,
    concurrency: int,
    retries: int,
) -> None:
    """Snapshot due watches until stopped; SIGTERM or Ctrl-C finishes the pages in flight."""
    archive = open_archive(ctx)
    signer = archive.signer(passphrase())
    config = fetch_config(archive, timeout=timeout, concurrency=concurrency, retries=retries)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def show(outcome: pipeline.Outcome) -> None:
        if as_json:
            click.echo(json.dumps(outcome.to_json(), ensure_ascii=False))
        else:
            detail = outcome.error if outcome.status == "failed" else f"v{outcome.version}"
            click.echo(f"{outcome.observed_at}  {outcome.status:<10} {outcome.url}  {detail}")

    def tick() -> float | None:
        def choose() -> list[pipeline.Target]:
            return [w.target() for w in schedule.due(archive, utcnow())]

        try:
            schedule.snapshot_run(
                archive,
                signer,
                choose,
                config,
                lock_wait=poll,
                progress=show,
                stop=stop.is_set,
                discover=True,
                webhook=ctx.obj.get("webhook"),
            )
        except ArchiveBusy:
            return poll  # a cron run holds the archive; look again later
        return schedule.seconds_until_next(archive, utcnow())

    where = Path(archive.root)
    click.echo(f"readout run: watching the archive at {where}; SIGTERM stops it.", err=True)
    schedule.run_loop(tick, stop, poll)
    click.echo("readout run: stopped; everything observed is recorded and checkpointed.", err=True)
