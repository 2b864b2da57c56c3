"""Change alerts: a webhook POST of the change JSON, or a watch's own command.

Alerts go through an outbox (table ``alerts``): a run enqueues one per new
change and channel inside its transaction-protected sequence, and delivers
them after the archive lock is released, each with a short timeout, so a
slow or failing receiver never holds up a run. A failed delivery is recorded
with its reason and retried on later runs, up to ``MAX_ATTEMPTS`` times.
The command gets the change JSON on stdin and ``READOUT_CHANGE_ID`` and
``READOUT_CHANGE_URL`` in its environment.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from archive import __version__, catalogue, query
from archive.repo import Archive
from archive.timeutil import format_time, utcnow

MAX_ATTEMPTS = 5
TIMEOUT = 10.0


@dataclass(frozen=True)
class Delivery:
    """The result of one delivery attempt."""

    change_id: int
    channel: str  # webhook | command
    target: str
    ok: bool
    error: str | None = None


def enqueue(archive: Archive, change_ids: Iterable[int], webhook: str | None) -> int:
    """Queue alerts for new changes: the global webhook, and each page's notify command."""
    rows = []
    now = format_time(utcnow())
    for change_id in change_ids:
        url_row = archive.db.execute(
            "SELECT c.url, w.notify FROM changes c LEFT JOIN watches w ON w.url = c.url "
            "WHERE c.id = ?",
            [change_id],
        ).fetchone()
        if url_row is None:
            continue
        if webhook:
            rows.append((change_id, "webhook", webhook))
        if url_row[1]:
            rows.append((change_id, "command", url_row[1]))
    with catalogue.write_transaction(archive.db):
        for change_id, channel, target in rows:
            archive.db.execute(
                "INSERT OR IGNORE INTO alerts (change_id, channel, target, attempts, created_at) "
                "VALUES (?, ?, ?, 0, ?)",
                [change_id, channel, target, now],
            )
    return len(rows)


def deliver_pending(archive: Archive) -> list[Delivery]:
    """Try every undelivered alert that has attempts left; record each outcome."""
    pending = archive.db.execute(
        "SELECT change_id, channel, target FROM alerts WHERE delivered_at IS NULL "
        "AND attempts < ? ORDER BY change_id",
        [MAX_ATTEMPTS],
    ).fetchall()
    if not pending:
        return []
    changes = {c.id: c for c in query.changes(archive)}
    results = []
    with httpx.Client(timeout=TIMEOUT, headers={"User-Agent": f"readout/{__version__}"}) as client:
        for change_id, channel, target in pending:
            change = changes.get(change_id)
            if change is None:
                continue
            payload = json.dumps(change.to_json(), ensure_ascii=False).encode()
            error = (
                _post(client, target, payload)
                if channel == "webhook"
                else _run(target, payload, change)
            )
            results.append(Delivery(change_id, channel, target, error is None, error))
            with catalogue.write_transaction(archive.db):
                archive.db.execute(
                    "UPDATE alerts SET attempts = attempts + 1, last_error = ?, delivered_at = ? "
                    "WHERE change_id = ? AND channel = ? AND target = ?",
                    [
                        error,
                        None if error else format_time(utcnow()),
                        change_id,
                        channel,
                        target,
                    ],
                )
    return results


def _post(client: httpx.Client, url: str, payload: bytes) -> str | None:
    try:
        response = client.post(url, content=payload, headers={"Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        return f"the webhook could not be reached ({type(exc).__name__})"
    if response.status_code >= 300:
        return f"the webhook answered HTTP {response.status_code}"
    return None


def _run(command: str, payload: bytes, change: query.Change) -> str | None:
    env = {**os.environ, "READOUT_CHANGE_ID": str(change.id), "READOUT_CHANGE_URL": change.url}
    try:
        done = subprocess.run(
            shlex.split(command),
            input=payload,
            capture_output=True,
            timeout=TIMEOUT * 3,
            env=env,
            check=False,
        )
    except (OSError, ValueError) as exc:
        return f"the notify command could not start ({exc})"
    except subprocess.TimeoutExpired:
        return "the notify command took too long"
    if done.returncode != 0:
        return f"the notify command exited {done.returncode}"
    return None
