"""Commands that take evidence out of the archive: export and verify-bundle."""

from __future__ import annotations

from pathlib import Path

import click

from archive import checkpoints, export
from archive.cli.common import (
    cli,
    echo_json,
    fetch_config,
    handle_errors,
    open_archive,
    passphrase,
    render_imports,
    render_report,
)
from archive.errors import UsageError
from archive.timeutil import parse_when
from provenance.errors import ProvenanceError
from provenance.keys import PublicKey


@cli.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write: a path ending in .zip, else a new folder.",
)
@click.option("--url", help="Only observations of this page.")
@click.option("--since", help="Only observations from this time, date or duration ago (7d).")
@click.option("--until", help="Only observations up to this time or date.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["bundle", "warc"]),
    default="bundle",
    show_default=True,
    help="An audit bundle, or a WARC/1.1 file (gzipped when PATH ends in .gz).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_context
@handle_errors
def export_cmd(
    ctx: click.Context,
    out: Path,
    url: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
    as_json: bool,
) -> None:
    """Write an audit bundle anyone can check offline with 'readout verify-bundle', or a WARC."""
    archive = open_archive(ctx)
    selection = export.Selection(
        url=url,
        since=parse_when(since) if since else None,
        until=parse_when(until) if until else None,
    )
    if selection.since and selection.until and selection.since > selection.until:
        raise UsageError("--since is after --until; nothing could be selected.")
    if fmt == "warc":
        from archive import warc  # warcio loads only for WARC work

        written = warc.export_warc(archive, out, selection)
        if as_json:
            echo_json(
                {
                    "path": str(written.path),
                    "observations": written.observations,
                    "warc_records": written.records,
                }
            )
        else:
            click.echo(
                f"Wrote {written.path}: {written.observations} observations as "
                f"{written.records} WARC records."
            )
        return
    result = export.export_bundle(archive, archive.signer(passphrase()), out, selection)
    if as_json:
        echo_json(
            {
                "path": str(result.path),
                "records": result.records,
                "records_in_log": result.records_in_log,
                "objects": result.objects,
                "bytes": result.bytes_written,
                "checkpoint_size": result.checkpoint_size,
            }
        )
        return
    click.echo(
        f"Wrote {result.path}: {result.records} of {result.records_in_log} records, "
        f"{result.objects} objects, anchored to the checkpoint of {result.checkpoint_size}."
    )


@cli.command("verify-bundle")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--pubkey",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The archive's public key (PEM, ssh-ed25519 or base64), obtained elsewhere.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def verify_bundle_cmd(path: Path, pubkey: Path | None, as_json: bool) -> None:
    """Check a bundle offline, trusting nothing but it and --pubkey (exit 4 on a problem)."""
    pinned = None
    if pubkey is not None:
        try:
            pinned = PublicKey.from_text(pubkey.read_text())
        except ProvenanceError as exc:
            raise UsageError(f"{pubkey}: {exc}") from exc
    from provenance.bundle import verify_bundle

    render_report(verify_bundle(path, pinned).to_json(), as_json)


@cli.group("import")
def import_group() -> None:
    """Bring captures made by other archivers into the archive, marked as imported."""


@import_group.command("warc")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per capture.")
@click.option(
    "--lock-wait",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait for a snapshot run on the same archive to finish.",
)
@click.pass_context
@handle_errors
def import_warc_cmd(
    ctx: click.Context, files: tuple[Path, ...], as_json: bool, lock_wait: float
) -> None:
    """Record each HTTP response in FILES (WARC) as an imported observation, oldest first."""
    from archive import warc

    archive = open_archive(ctx)
    signer = archive.signer(passphrase())
    outcomes = []
    with archive.write_lock(wait=lock_wait):
        checkpoints.catch_up(archive)
        for path in files:
            outcomes += warc.import_warc(archive, signer, path)
        checkpoints.make_checkpoint(archive, signer)
    render_imports(outcomes, as_json, ", ".join(p.name for p in files))


@import_group.command("wayback")
@click.argument("url")
@click.option("--from", "since", help="Only captures from this date or time.")
@click.option("--to", "until", help="Only captures up to this date or time.")
@click.option(
    "--endpoint",
    default="https://web.archive.org",
    show_default=True,
    envvar="READOUT_WAYBACK",
    help="The Wayback server (CDX API and id_ captures).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per capture.")
@click.pass_context
@handle_errors
def import_wayback_cmd(
    ctx: click.Context,
    url: str,
    since: str | None,
    until: str | None,
    endpoint: str,
    as_json: bool,
) -> None:
    """Backfill URL's history from the Wayback Machine, each capture signed as imported."""
    from archive import wayback

    archive = open_archive(ctx)
    signer = archive.signer(passphrase())
    with archive.write_lock():
        checkpoints.catch_up(archive)
        outcomes = wayback.import_wayback(
            archive,
            signer,
            url,
            endpoint=endpoint,
            since=parse_when(since) if since else None,
            until=parse_when(until) if until else None,
            config=fetch_config(archive),
        )
        checkpoints.make_checkpoint(archive, signer)
    render_imports(outcomes, as_json, endpoint)


@cli.command("report")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the site (new, empty, or one an earlier report wrote).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_context
@handle_errors
def report_cmd(ctx: click.Context, out: Path, as_json: bool) -> None:
    """Write a static site of the edits: works from file:// and any static host."""
    from archive import webreport

    result = webreport.write_report(open_archive(ctx), out)
    if as_json:
        echo_json({"path": str(result.path), "changes": result.changes})
    else:
        click.echo(f"Wrote {result.path / 'index.html'} ({result.changes} edits).")
