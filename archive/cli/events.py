"""How a run reports itself: lines for people, a progress bar on a terminal, JSON for logs.

``--log-format json`` writes one JSON object per event on stderr (``page``,
``feed``, ``checkpoint``, ``timestamp``, ``alert``, ``summary``), for cron
jobs whose output goes to a log collector; ``text`` writes plain sentences,
and on a terminal draws a progress bar (rich) while pages come in.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from archive import pipeline, schedule


class RunReporter:
    """Renders one snapshot run's events; the library calls ``started`` and ``page``."""

    def __init__(self, *, as_json: bool, log_format: str) -> None:
        self.as_json = as_json
        self.json_log = log_format == "json"
        self.progress: Progress | None = None
        self.task: Any = None
        if not self.json_log and not as_json and sys.stderr.isatty():
            self.progress = Progress(
                TextColumn("snapshot"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def _log(self, event: str, **fields: Any) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        line = {"time": stamp, "event": event, **fields}
        click.echo(json.dumps(line, ensure_ascii=False), err=True)

    def started(self, total: int) -> None:
        """The run chose its pages."""
        if self.json_log:
            self._log("start", pages=total)
        if self.progress is not None:
            self.progress.start()
            self.task = self.progress.add_task("pages", total=total)

    def page(self, outcome: pipeline.Outcome) -> None:
        """One page was recorded."""
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)
        if self.json_log:
            self._log("page", **outcome.to_json())
        if self.as_json:
            return
        if outcome.status == "failed":
            line = f"failed     {outcome.url}: {outcome.error}"
        else:
            line = f"{outcome.status:<10} {outcome.url}  v{outcome.version}"
            if outcome.summary:
                line += f"  {outcome.summary}"
        if self.progress is not None:
            self.progress.console.print(line, markup=False, highlight=False)
        else:
            click.echo(line)

    def finish(self, run: schedule.RunResult) -> None:
        """Everything after the pages: feeds, timestamps, alerts, checkpoint, summary."""
        if self.progress is not None:
            self.progress.stop()
        for found in run.discoveries:
            if self.json_log:
                self._log("feed", feed=found.feed, new=list(found.new_watches), error=found.error)
            elif found.error:
                click.echo(f"readout: feed {found.feed}: {found.error}", err=True)
            elif found.new_watches and not self.as_json:
                click.echo(f"feed {found.feed}: {len(found.new_watches)} new page(s)", err=True)
        for stamp in run.stamps:
            if self.json_log:
                self._log("timestamp", checkpoint=stamp.size, ok=stamp.ok, error=stamp.error)
            elif not stamp.ok:
                click.echo(
                    f"readout: no timestamp for checkpoint {stamp.size} yet ({stamp.error}); "
                    "it will be retried on the next run.",
                    err=True,
                )
        for delivery in run.deliveries:
            if self.json_log:
                self._log(
                    "alert",
                    change=delivery.change_id,
                    channel=delivery.channel,
                    ok=delivery.ok,
                    error=delivery.error,
                )
            elif not delivery.ok:
                click.echo(
                    f"readout: alert for change {delivery.change_id} not delivered "
                    f"({delivery.error}); it will be retried on the next run.",
                    err=True,
                )
        failed = sum(o.status == "failed" for o in run.outcomes)
        head = run.checkpoint
        if self.json_log:
            if head is not None:
                self._log("checkpoint", size=head.size, root_hash=head.root_hash)
            self._log("summary", pages=len(run.outcomes), failed=failed)
        elif not self.as_json:
            click.echo(f"{len(run.outcomes)} page(s) observed, {failed} failed.", err=True)
            if head is not None:
                click.echo(f"Checkpoint: {head.size} records, root {head.root_hash}", err=True)
