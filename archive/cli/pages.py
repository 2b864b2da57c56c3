"""Commands on pages: init, watch, snapshot, history, diff, changes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from archive import catalogue, checkpoints, diff, pipeline, query, schedule, timestamping, watches
from archive.cli.common import (
    EXIT_FETCH_FAILED,
    Duration,
    archive_dir,
    cli,
    echo_json,
    fetch_config,
    fetch_options,
    handle_errors,
    open_archive,
    passphrase,
)
from archive.cli.events import RunReporter
from archive.errors import ReadoutError, UsageError
from archive.repo import Archive
from archive.timeutil import format_duration, parse_when, utcnow


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the key details as JSON.")
@click.option(
    "--tsa", "tsa_url", metavar="URL", help="RFC 3161 timestamp authority for checkpoints."
)
@click.option(
    "--contact",
    metavar="EMAIL_OR_URL",
    help="How site operators can reach you; sent in every request's User-Agent.",
)
@click.option(
    "--tsa-root",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file with the TSA's root certificate(s), to check its tokens.",
)
@click.pass_context
@handle_errors
def init(
    ctx: click.Context,
    as_json: bool,
    tsa_url: str | None,
    contact: str | None,
    tsa_root: Path | None,
) -> None:
    """Create the archive and its Ed25519 signing key (passphrase from $READOUT_KEY_PASSPHRASE)."""
    root = archive_dir(ctx)
    if tsa_root and not tsa_url:
        raise UsageError("--tsa-root goes with --tsa URL.")
    if tsa_url and (root / "readout.db").exists():
        raise UsageError(
            "the archive already exists; set its timestamp authority with 'readout tsa set'."
        )
    if tsa_url and not tsa_root:
        raise UsageError(
            "--tsa needs --tsa-root FILE: a timestamp nobody can check proves nothing."
        )
    if contact is not None and (not contact.strip() or any(c in contact for c in "\r\n()")):
        raise UsageError("--contact is one line without parentheses, like an email or a URL.")
    archive, created = Archive.init(root, passphrase())
    if contact and created:
        with catalogue.write_transaction(archive.db):
            catalogue.set_meta(archive.db, "contact", contact.strip())
    if tsa_url and tsa_root:
        timestamping.configure(archive, tsa_url, tsa_root.read_bytes())
    key = archive.active_public_key()
    verifier = checkpoints.note_verifiers(archive)
    vkey = next(v.vkey for v in verifier if v.key == key)
    if as_json:
        echo_json(
            {
                "archive": str(root),
                "created": created,
                "key_id": key.key_id,
                "public_key": key.b64,
                "fingerprint": key.fingerprint,
                "origin": checkpoints.origin(archive),
                "note_vkey": vkey,
            }
        )
        return
    if created:
        click.echo(f"Created archive at {root}")
    else:
        click.echo(f"An archive already exists at {root}; nothing was changed.")
    click.echo(f"Public key (ed25519): {key.b64}")
    click.echo(f"Fingerprint:          {key.fingerprint}")
    click.echo(f"Key id:               {key.key_id}")
    click.echo(f"Log origin:           {checkpoints.origin(archive)}")
    click.echo(f"Checkpoint key:       {vkey}")


@cli.group()
def watch() -> None:
    """Add, list and remove the pages the archive snapshots."""


@watch.command("add")
@click.argument("url")
@click.option("--name", help="A short label for the page.")
@click.option(
    "--every",
    type=Duration(),
    default="1d",
    show_default=True,
    help="How often the page is due (30s, 15m, 6h, 1d, 1h30m).",
)
@click.option("--selector", help="CSS selector of the main text, overriding automatic extraction.")
@click.option(
    "--ignore",
    multiple=True,
    metavar="REGEX",
    help="Drop text lines matching this regular expression (repeatable).",
)
@click.option(
    "--notify",
    metavar="CMD",
    help="Run this command for each detected edit (the change JSON on stdin).",
)
@click.option(
    "--ignore-robots",
    is_flag=True,
    help="Fetch even where robots.txt disallows it (each record says so).",
)
@click.pass_context
@handle_errors
def watch_add(
    ctx: click.Context,
    url: str,
    name: str | None,
    every: int,
    selector: str | None,
    ignore: tuple[str, ...],
    notify: str | None,
    ignore_robots: bool,
) -> None:
    """Watch URL (or update the rules of a watch that exists)."""
    archive = open_archive(ctx)
    item, created = watches.add(
        archive,
        url,
        name=name,
        every_seconds=every,
        selector=selector,
        ignore=ignore,
        notify=notify,
        ignore_robots=ignore_robots,
    )
    verb = "Watching" if created else "Updated watch of"
    click.echo(f"{verb} {item.url} every {format_duration(item.every_seconds)}")


@watch.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the watches as a JSON array.")
@click.pass_context
@handle_errors
def watch_list(ctx: click.Context, as_json: bool) -> None:
    """List watched pages."""
    items = watches.list_all(open_archive(ctx))
    if as_json:
        echo_json([w.to_json() for w in items])
        return
    if not items:
        click.echo("No watches yet; add one with 'readout watch add URL'.")
    for w in items:
        last = w.last_observed or "never"
        label = f" ({w.name})" if w.name else ""
        click.echo(f"{w.url}{label}  every {format_duration(w.every_seconds)}  last: {last}")


@watch.command("remove")
@click.argument("url")
@click.pass_context
@handle_errors
def watch_remove(ctx: click.Context, url: str) -> None:
    """Stop watching URL; its history stays in the archive."""
    watches.remove(open_archive(ctx), url)
    click.echo(f"Stopped watching {url}; its history is kept.")


@cli.command()
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("--due", is_flag=True, help="Only the watches whose interval has passed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per page.")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=50_000_000,
    show_default=True,
    help="Largest response body accepted; larger ones are recorded as failures.",
)
@click.option(
    "--lock-wait",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait for another run on the same archive to finish.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per event on stderr, for cron logs.",
)
@click.option(
    "--host-delay",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait between requests to the same host.",
)
@fetch_options
@click.pass_context
@handle_errors
def snapshot(
    ctx: click.Context,
    urls: tuple[str, ...],
    due: bool,
    as_json: bool,
    timeout: float,
    max_bytes: int,
    concurrency: int,
    lock_wait: float,
    retries: int,
    host_delay: float,
    log_format: str,
) -> None:
    """Fetch, store, sign and log the named URLs, or every watch (exit 3 if a fetch failed)."""
    archive = open_archive(ctx)
    if urls and due:
        raise UsageError("give URLs or --due, not both.")
    signer = archive.signer(passphrase())
    config = fetch_config(
        archive,
        timeout=timeout,
        max_bytes=max_bytes,
        concurrency=concurrency,
        retries=retries,
        host_delay=host_delay,
    )

    reporter = RunReporter(as_json=as_json, log_format=log_format)

    def choose() -> list[pipeline.Target]:
        if urls:
            return watches.targets_for(archive, list(urls))
        chosen = schedule.due(archive, utcnow()) if due else watches.list_all(archive)
        if not chosen and not due:
            raise ReadoutError("nothing to snapshot: name URLs or add a watch first.")
        return [w.target() for w in chosen]

    run = schedule.snapshot_run(
        archive,
        signer,
        choose,
        config,
        lock_wait=lock_wait,
        progress=reporter.page,
        discover=due,
        webhook=ctx.obj.get("webhook"),
        started=reporter.started,
    )
    reporter.finish(run)
    outcomes = run.outcomes
    if as_json:
        echo_json([o.to_json() for o in outcomes])
    if any(o.status == "failed" for o in outcomes):
        sys.exit(EXIT_FETCH_FAILED)


@cli.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@click.pass_context
@handle_errors
def history(ctx: click.Context, url: str, as_json: bool) -> None:
    """List the versions of one page."""
    items = query.versions(open_archive(ctx), url)
    if as_json:
        echo_json({"url": url, "versions": [v.to_json() for v in items]})
        return
    click.echo(url)
    for v in items:
        click.echo(
            f"  v{v.version}  {v.first_seen} .. {v.last_seen}  "
            f"{v.observations} observation(s)  text {v.text_sha256[:12]}"
        )


def use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


@cli.command("diff")
@click.argument("url")
@click.option("--from", "from_ref", type=click.IntRange(min=1), help="Old version number.")
@click.option("--to", "to_ref", type=click.IntRange(min=1), help="New version number.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour text output (auto: on a terminal unless NO_COLOR is set).",
)
@click.option(
    "--context",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Unchanged paragraphs shown around each change in text output.",
)
@click.option("--full", is_flag=True, help="Show the whole text, not just the changed paragraphs.")
@click.pass_context
@handle_errors
def diff_cmd(
    ctx: click.Context,
    url: str,
    from_ref: int | None,
    to_ref: int | None,
    fmt: str,
    color: str,
    context: int,
    full: bool,
) -> None:
    """Word diff of two versions of URL (default: the last two)."""
    archive = open_archive(ctx)
    found = query.versions(archive, url)
    if to_ref is None:
        to_ref = found[-1].version if found else 1
    if from_ref is None:
        from_ref = to_ref - 1
    if from_ref < 1:
        raise ReadoutError(f"{url} has only one version so far; there is nothing to compare.")
    old, new = query.version(archive, url, from_ref), query.version(archive, url, to_ref)
    ops = diff.word_diff(query.text(archive, old), query.text(archive, new))
    if fmt == "json":
        stats = diff.diff_stats(ops)
        echo_json(
            {
                "url": url,
                "from": {
                    "version": old.version,
                    "first_seen": old.first_seen,
                    "text_sha256": old.text_sha256,
                },
                "to": {
                    "version": new.version,
                    "first_seen": new.first_seen,
                    "text_sha256": new.text_sha256,
                },
                "ops": [list(op) for op in ops],
                "stats": {
                    "inserted_words": stats.inserted_words,
                    "deleted_words": stats.deleted_words,
                },
            }
        )
        return
    from_label = f"v{old.version} (first seen {old.first_seen})"
    to_label = f"v{new.version} (first seen {new.first_seen})"
    if fmt == "html":
        click.echo(diff.render_html(ops, title=url, from_label=from_label, to_label=to_label))
        return
    click.echo(f"--- {url} {from_label}")
    click.echo(f"+++ {url} {to_label}")
    colored = use_color(color)
    text = diff.render_text(ops, color=colored, context=None if full else context)
    click.echo(text, color=colored)


@cli.command()
@click.option("--since", help="Only edits detected since this time, date or duration ago (7d).")
@click.option("--url", help="Only edits of this page.")
@click.option("--json", "as_json", is_flag=True, help="Print the edits as a JSON array.")
@click.pass_context
@handle_errors
def changes(ctx: click.Context, since: str | None, url: str | None, as_json: bool) -> None:
    """List the detected edits, newest first."""
    items = query.changes(open_archive(ctx), since=parse_when(since) if since else None, url=url)
    if as_json:
        echo_json([c.to_json() for c in items])
        return
    if not items:
        click.echo("No edits detected.")
    for c in items:
        flag = "SILENT " if c.silent else ""
        click.echo(
            f"#{c.id}  {flag}{', '.join(c.kinds)}  {c.url}  v{c.from_version} -> v{c.to_version}"
        )
        click.echo(f"    {c.summary}")
        click.echo(f"    edited after {c.not_before}, no later than {c.detected_at}")
