"""``readout feed``: follow RSS/Atom feeds and listing pages that announce new readouts."""

from __future__ import annotations

import click

from archive import feeds
from archive.cli.common import (
    Duration,
    cli,
    echo_json,
    fetch_config,
    handle_errors,
    open_archive,
)
from archive.timeutil import format_duration


@cli.group("feed")
def feed_group() -> None:
    """Follow feeds and listing pages; each new item becomes a watch."""


@feed_group.command("add")
@click.argument("url")
@click.option(
    "--every",
    type=Duration(),
    default="1d",
    show_default=True,
    help="Interval given to the pages this feed discovers.",
)
@click.option("--match", metavar="REGEX", help="Only item URLs matching this regular expression.")
@click.pass_context
@handle_errors
def feed_add(ctx: click.Context, url: str, every: int, match: str | None) -> None:
    """Follow URL (an RSS/Atom feed, or an HTML page listing readouts)."""
    feed, created = feeds.add(open_archive(ctx), url, every, match)
    verb = "Following" if created else "Updated feed"
    click.echo(f"{verb} {feed.url}; new items are watched every {format_duration(every)}.")


@feed_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the feeds as a JSON array.")
@click.pass_context
@handle_errors
def feed_list(ctx: click.Context, as_json: bool) -> None:
    """List followed feeds."""
    items = feeds.list_all(open_archive(ctx))
    if as_json:
        echo_json([f.to_json() for f in items])
        return
    if not items:
        click.echo("No feeds yet; follow one with 'readout feed add URL'.")
    for f in items:
        state = f"error: {f.last_error}" if f.last_error else f"checked {f.last_checked or 'never'}"
        click.echo(f"{f.url}  match {f.match or '(same site)'}  {state}")


@feed_group.command("remove")
@click.argument("url")
@click.pass_context
@handle_errors
def feed_remove(ctx: click.Context, url: str) -> None:
    """Stop following URL; the pages it discovered stay watched."""
    feeds.remove(open_archive(ctx), url)
    click.echo(f"Stopped following {url}.")


@feed_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print what each feed added as JSON.")
@click.pass_context
@handle_errors
def feed_check(ctx: click.Context, as_json: bool) -> None:
    """Check every feed now and watch new items ('snapshot --due' and 'run' do this too)."""
    archive = open_archive(ctx)
    with archive.write_lock():
        found = feeds.check_all(archive, fetch_config(archive))
    if as_json:
        echo_json(
            [{"feed": d.feed, "new_watches": list(d.new_watches), "error": d.error} for d in found]
        )
        return
    for d in found:
        detail = d.error or f"{len(d.new_watches)} new page(s)"
        click.echo(f"{d.feed}: {detail}")
