"""Commands on the record itself: verify, the transparency log, keys, timestamps."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import click

from archive import checkpoints, keyring, timestamping, verify
from archive.cli.common import (
    EXIT_VERIFY_FAILED,
    cli,
    echo_json,
    handle_errors,
    open_archive,
    passphrase,
    render_report,
)
from archive.errors import UsageError
from provenance.errors import ProvenanceError
from provenance.merkle import leaf_hash

_CHECKPOINT_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _read_note(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not a UTF-8 checkpoint file.") from exc


@cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--against",
    type=_CHECKPOINT_FILE,
    metavar="CHECKPOINT_FILE",
    help="Also prove the log still extends this checkpoint you kept earlier.",
)
@click.pass_context
@handle_errors
def verify_cmd(ctx: click.Context, as_json: bool, against: Path | None) -> None:
    """Check every stored byte, signature, the log and its checkpoints (exit 4 on a problem)."""
    note = _read_note(against) if against else None
    report = verify.verify_archive(open_archive(ctx), against=note)
    render_report(report.to_json(), as_json)


@cli.group("log")
def log_group() -> None:
    """The transparency log: checkpoints and proofs anyone can check."""


@log_group.command("checkpoint")
@click.option("--json", "as_json", is_flag=True, help="Print the checkpoint's details as JSON.")
@click.pass_context
@handle_errors
def log_checkpoint(ctx: click.Context, as_json: bool) -> None:
    """Print the latest signed checkpoint (save it: 'verify --against' checks it later)."""
    head = checkpoints.latest(open_archive(ctx))
    if as_json:
        echo_json(head.to_json())
    else:
        click.echo(head.note, nl=False)


@log_group.command("checkpoints")
@click.option("--json", "as_json", is_flag=True, help="Print the checkpoints as a JSON array.")
@click.pass_context
@handle_errors
def log_checkpoints(ctx: click.Context, as_json: bool) -> None:
    """List every checkpoint, oldest first, with its timestamp."""
    items = checkpoints.list_checkpoints(open_archive(ctx))
    if as_json:
        echo_json([c.to_json() for c in items])
        return
    if not items:
        click.echo("No checkpoints yet; each snapshot run ends with one.")
    for c in items:
        if c.timestamp:
            stamp = f"timestamped {c.timestamp['gen_time']}"
        elif c.timestamp_error:
            stamp = f"no timestamp yet ({c.timestamp_error})"
        else:
            stamp = "no timestamp"
        click.echo(f"{c.size:>8} records  {c.created_at}  root {c.root_hash}  {stamp}")


@log_group.command("prove")
@click.argument("record")
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON.")
@click.pass_context
@handle_errors
def log_prove(ctx: click.Context, record: str, as_json: bool) -> None:
    """Inclusion proof of RECORD (number or SHA-256) in the latest checkpoint (C2SP tlog-proof)."""
    proof, data = checkpoints.prove(open_archive(ctx), record)
    if not as_json:
        click.echo(proof.text(), nl=False)
        return
    echo_json(
        {
            "index": proof.index,
            "record": data.decode("utf-8"),
            "leaf_hash": base64.b64encode(leaf_hash(data)).decode(),
            "proof": [base64.b64encode(p).decode() for p in proof.proof],
            "checkpoint": proof.checkpoint_note,
            "tlog_proof": proof.text(),
        }
    )


@log_group.command("consistency")
@click.argument("old_checkpoint", type=_CHECKPOINT_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the proof as JSON.")
@click.pass_context
@handle_errors
def log_consistency(ctx: click.Context, old_checkpoint: Path, as_json: bool) -> None:
    """Prove the latest checkpoint extends OLD_CHECKPOINT (exit 4 if history was rewritten)."""
    archive = open_archive(ctx)
    try:
        result = checkpoints.consistency(archive, _read_note(old_checkpoint))
    except ProvenanceError as exc:
        click.echo(f"readout: the log does not extend that checkpoint: {exc}", err=True)
        sys.exit(EXIT_VERIFY_FAILED)
    if as_json:
        echo_json(result.to_json())
        return
    click.echo(f"The log extends the checkpoint of {result.old.size} records.")
    click.echo(f"old: {result.old.size} {result.old.root_b64}")
    click.echo(f"new: {result.new.size} {result.new.root_b64}")
    for item in result.proof:
        click.echo(base64.b64encode(item).decode())


@log_group.command("timestamp")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
@handle_errors
def log_timestamp(ctx: click.Context, as_json: bool) -> None:
    """Ask the timestamp authority now for checkpoints that still lack a token."""
    archive = open_archive(ctx)
    if timestamping.settings(archive) is None:
        raise UsageError("no timestamp authority is set; use 'readout tsa set URL --root FILE'.")
    results = timestamping.stamp_pending(archive)
    if as_json:
        echo_json([r.__dict__ for r in results])
    elif not results:
        click.echo("Every checkpoint already has a timestamp.")
    for r in [] if as_json else results:
        state = f"timestamped {r.gen_time}" if r.ok else f"failed: {r.error}"
        click.echo(f"checkpoint {r.size}: {state}")
    if any(not r.ok for r in results):
        sys.exit(1)


@cli.group("key")
def key_group() -> None:
    """The archive's signing keys."""


@key_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as a JSON array.")
@click.pass_context
@handle_errors
def key_show(ctx: click.Context, as_json: bool) -> None:
    """Every key that ever signed, with the forms outsiders verify with."""
    archive = open_archive(ctx)
    statuses = dict(archive.db.execute("SELECT key_id, status FROM keys").fetchall())
    items = []
    for verifier in checkpoints.note_verifiers(archive):
        key = verifier.key
        items.append(
            {
                "key_id": key.key_id,
                "status": statuses.get(key.key_id),
                "public_key": key.b64,
                "fingerprint": key.fingerprint,
                "openssh": key.openssh,
                "note_vkey": verifier.vkey,
            }
        )
    if as_json:
        echo_json(items)
        return
    for item in items:
        click.echo(f"{item['key_id']}  {item['status']}")
        click.echo(f"  fingerprint  {item['fingerprint']}")
        click.echo(f"  openssh      {item['openssh']}")
        click.echo(f"  note vkey    {item['note_vkey']}")


@key_group.command("rotate")
@click.option("--json", "as_json", is_flag=True, help="Print the rotation as JSON.")
@click.option(
    "--lock-wait",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds to wait for a snapshot run on the same archive to finish.",
)
@click.pass_context
@handle_errors
def key_rotate(ctx: click.Context, as_json: bool, lock_wait: float) -> None:
    """Make a new signing key; the hand-over is logged and signed by both keys."""
    archive = open_archive(ctx)
    with archive.write_lock(wait=lock_wait):
        signer = archive.signer(passphrase())
        checkpoints.catch_up(archive)
        rotation = keyring.rotate(archive, signer, passphrase())
        head = checkpoints.make_checkpoint(archive, archive.signer(passphrase()))
    timestamping.stamp_pending(archive)
    if as_json:
        echo_json(
            {
                "seq": rotation.seq,
                "at": rotation.at,
                "old_key_id": rotation.old.key_id,
                "new_key_id": rotation.new.key_id,
                "new_fingerprint": rotation.new.fingerprint,
                "checkpoint_size": head.size if head else None,
            }
        )
        return
    click.echo(f"Retired key {rotation.old.key_id}; new key {rotation.new.key_id}.")
    click.echo(f"New fingerprint: {rotation.new.fingerprint}")
    click.echo(f"The hand-over is log record {rotation.seq}, signed by both keys.")


@cli.group("tsa")
def tsa_group() -> None:
    """The RFC 3161 timestamp authority that dates each checkpoint."""


@tsa_group.command("set")
@click.argument("url")
@click.option(
    "--root",
    "root_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM file with the TSA's root certificate(s).",
)
@click.pass_context
@handle_errors
def tsa_set(ctx: click.Context, url: str, root_file: Path) -> None:
    """Timestamp every new checkpoint at URL, trusting the root certificate in --root."""
    timestamping.configure(open_archive(ctx), url, root_file.read_bytes())
    click.echo(f"Checkpoints will be timestamped by {url}.")


@tsa_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the setting as JSON.")
@click.pass_context
@handle_errors
def tsa_show(ctx: click.Context, as_json: bool) -> None:
    """Show the timestamp authority in use, if any."""
    config = timestamping.settings(open_archive(ctx))
    if as_json:
        echo_json({"url": config.url if config else None})
    else:
        click.echo(config.url if config else "No timestamp authority is set.")


@tsa_group.command("off")
@click.pass_context
@handle_errors
def tsa_off(ctx: click.Context) -> None:
    """Stop timestamping new checkpoints (tokens already stored stay and are checked)."""
    timestamping.configure(open_archive(ctx), None, None)
    click.echo("Timestamping is off.")
