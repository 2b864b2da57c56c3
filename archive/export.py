"""Write audit bundles: the evidence for a selection, checkable offline by anyone.

A selection (one URL, a period, or everything) is a set of log records; each
goes in exactly as signed, with an inclusion proof against the archive's
latest checkpoint, so a bundle for one page still proves its records are in
the full log rather than in a tree made for the occasion. Key-rotation
records always go in, so a reader who pins one key can follow the hand-overs.
The manifest says what was left out, lists the SHA-256 of every file, and is
signed by the archive's key. The file layout and the verifier are in
``provenance.bundle``.
"""

from __future__ import annotations

import base64
import json
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from archive import __version__, checkpoints, timestamping
from archive.errors import ArchiveError, UsageError
from archive.logstore import merkle_log
from archive.repo import Archive, Signer
from archive.timeutil import format_time, utcnow
from provenance import bundle
from provenance.hashing import sha256_hex
from provenance.note import NoteVerifier

README_TEXT = """\
readout audit bundle
====================

This folder is evidence of what web pages said and when, as recorded by a
readout archive. You do not have to trust whoever gave it to you: everything
below can be checked offline.

What is here
- manifest.json: what was selected and what was left out, the archive's
  public keys, the checkpoint the evidence is anchored to, and the SHA-256 of
  every other file. manifest.sig is the archive key's signature of it.
- observations.jsonl: one line per log record, exactly as signed (the
  "record" field is canonical JSON: UTF-8, sorted keys, no whitespace), with
  its Ed25519 signature and its Merkle inclusion proof (RFC 9162).
- changes.jsonl / changes.csv: the edits the records carry; versions.jsonl:
  the versions they imply.
- objects/sha256/<hex>.gz: each raw response and extracted text named by a
  record; gunzip it and its SHA-256 is its name.
- checkpoint.txt: the signed tree head (a C2SP checkpoint, as a signed note).
  checkpoint.tsr: its RFC 3161 timestamp, if any, with tsa-roots.pem.

How to check it
1. With readout installed:   readout verify-bundle THIS_PATH [--pubkey KEY]
   With only the verifier:   python -m provenance verify-bundle THIS_PATH
   (the provenance and schemas packages, cryptography, jsonschema and
   rfc3161-client are all it needs.) Exit 0 means every check passed.
2. Pin the key: get the archive's public key from its owner through another
   channel (a website, a paper, a phone call) and pass it with --pubkey. The
   fingerprints are in manifest.json.
3. By hand: every record's signature is Ed25519 over the bytes
   "readout/record/v1\\n" followed by the record; the checkpoint can be
   checked with any C2SP signed-note tool using the note_vkey in
   manifest.json (for example Go's golang.org/x/mod/sumdb/note); each
   inclusion proof hashes SHA-256(0x00 || record) up to the checkpoint's root.
4. Keep checkpoint.txt. Later, "readout verify --against checkpoint.txt" on
   the archive (or a newer bundle's consistency proof) shows whether anything
   recorded up to it was changed or removed since.
"""


@dataclass(frozen=True)
class Selection:
    """Which records go in: one URL and/or a period (observation times, inclusive)."""

    url: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: Path
    records: int
    records_in_log: int
    objects: int
    bytes_written: int
    checkpoint_size: int


def selected_records(
    archive: Archive, selection: Selection, size: int
) -> Iterator[tuple[Any, ...]]:
    """Log rows (seq, kind, record, sha256, signature, key id) in the selection, below ``size``.

    Key rotations are always selected: they are how a reader follows the keys.
    """
    clauses, args = ["l.seq < ?"], [size]
    if selection.url is not None:
        clauses.append("(o.url = ? OR l.kind != 'observation')")
        args.append(selection.url)
    if selection.since is not None:
        clauses.append("(o.observed_at >= ? OR l.kind != 'observation')")
        args.append(format_time(selection.since))
    if selection.until is not None:
        clauses.append("(o.observed_at <= ? OR l.kind != 'observation')")
        args.append(format_time(selection.until))
    yield from archive.db.execute(
        "SELECT l.seq, l.kind, l.record, l.record_sha256, l.signature, l.key_id "
        "FROM log l LEFT JOIN observations o ON o.seq = l.seq WHERE "
        + " AND ".join(clauses)
        + " ORDER BY l.seq",
        args,
    )


class _Writer:
    """Writes bundle files to a directory or a zip, remembering each file's hash."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.hashes: dict[str, str] = {}
        self.size = 0
        self.zip: zipfile.ZipFile | None = None
        if out.suffix == ".zip":
            if out.exists():
                raise UsageError(f"{out} exists; choose a new path for the bundle.")
            out.parent.mkdir(parents=True, exist_ok=True)
            self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED)
        else:
            if out.exists() and any(out.iterdir()):
                raise UsageError(f"{out} exists and is not empty; choose a new folder.")
            out.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, data: bytes, listed: bool = True) -> None:
        if listed:
            self.hashes[name] = sha256_hex(data)
        self.size += len(data)
        if self.zip is not None:
            self.zip.writestr(name, data)
            return
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def export_bundle(
    archive: Archive, signer: Signer, out: Path, selection: Selection
) -> ExportResult:
    """Write the bundle for ``selection`` to ``out`` (a ``.zip`` file or a new folder)."""
    head = checkpoints.latest(archive)
    tree = merkle_log(archive.db)
    if tree.size < head.size:
        raise ArchiveError("the Merkle log is shorter than its checkpoint; run 'readout verify'.")
    cosignatures: dict[int, list[dict[str, str]]] = {}
    for seq, key_id, signature in archive.db.execute(
        "SELECT seq, key_id, signature FROM cosignatures ORDER BY seq, key_id"
    ):
        cosignatures.setdefault(seq, []).append({"key_id": key_id, "signature": signature})
    writer = _Writer(out)
    try:
        lines: list[bytes] = []
        bodies: dict[int, dict[str, Any]] = {}
        objects: set[str] = set()
        for seq, kind, record, record_sha, signature, key_id in selected_records(
            archive, selection, head.size
        ):
            proof = tree.inclusion_proof(seq, head.size)
            entry = {
                "seq": seq,
                "kind": kind,
                "record": record,
                "record_sha256": record_sha,
                "signature": signature,
                "key_id": key_id,
                "cosignatures": cosignatures.get(seq, []),
                "inclusion_proof": [base64.b64encode(p).decode() for p in proof],
            }
            lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True).encode() + b"\n")
            body = json.loads(record)
            bodies[seq] = body
            for key in ("content_sha256", "text_sha256"):
                sha = body.get(key)
                if sha and sha not in objects:
                    objects.add(sha)
                    writer.write(bundle.object_path(sha), archive.store.path_for(sha).read_bytes())
        observed = [b for b in bodies.values() if b.get("schema") != "readout.key-rotation/1"]
        if not observed:
            raise UsageError(
                "nothing was selected: no observation matches --url, --since and --until."
            )
        writer.write(bundle.OBSERVATIONS, b"".join(lines))
        changes = [
            {**body["change"], "url": body["url"], "seq": seq}
            for seq, body in sorted(bodies.items())
            if body.get("change")
        ]
        changes.sort(key=lambda c: c["id"])
        writer.write(bundle.CHANGES, _jsonl(changes))
        writer.write(bundle.CHANGES_CSV, bundle.changes_csv(changes))
        writer.write(bundle.VERSIONS, _jsonl(bundle.versions_from_records(bodies)))
        writer.write(bundle.CHECKPOINT, head.note.encode("utf-8"))
        token = archive.db.execute(
            "SELECT token FROM timestamps WHERE checkpoint_size = ?", [head.size]
        ).fetchone()
        roots = timestamping.trusted_roots(archive)
        if token and roots:
            writer.write(bundle.TOKEN, base64.b64decode(token[0]))
            pem = b"".join(cert.public_bytes(Encoding.PEM) for cert in roots)
            writer.write(bundle.TSA_ROOTS, pem)
        writer.write(bundle.README, README_TEXT.encode("utf-8"))
        manifest = _manifest(archive, selection, head, len(bodies), tree.size, writer.hashes)
        data = (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()
        writer.write(bundle.MANIFEST, data, listed=False)
        writer.write(
            bundle.MANIFEST_SIG, bundle.sign_manifest(data, signer.private, signer.key_id), False
        )
    except BaseException:
        writer.close()
        _remove_partial(out)
        raise
    writer.close()
    return ExportResult(out, len(bodies), tree.size, len(objects), writer.size, head.size)


def _remove_partial(out: Path) -> None:
    """Never leave half a bundle behind."""
    if out.is_file():
        out.unlink()
    elif out.is_dir():
        shutil.rmtree(out)


def _jsonl(items: list[dict[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(item, ensure_ascii=False, sort_keys=True).encode() + b"\n" for item in items
    )


def _manifest(
    archive: Archive,
    selection: Selection,
    head: checkpoints.StoredCheckpoint,
    selected: int,
    in_log: int,
    hashes: dict[str, str],
) -> dict[str, Any]:
    origin = checkpoints.origin(archive)
    statuses = dict(archive.db.execute("SELECT key_id, status FROM keys").fetchall())
    keys = [
        {
            "key_id": key.key_id,
            "public_key": key.b64,
            "fingerprint": key.fingerprint,
            "note_vkey": NoteVerifier(origin, key).vkey,
            "status": statuses.get(key.key_id, "retired"),
        }
        for key in archive.public_keys().values()
    ]
    parts = []
    if selection.url is not None:
        parts.append(f"observations of other pages than {selection.url}")
    if selection.since is not None or selection.until is not None:
        parts.append("observations outside the period")
    after = in_log - head.size
    if after:
        parts.append(f"{after} records logged after the checkpoint")
    left_out = in_log - selected
    description = f"{left_out} of {in_log} records: " + "; ".join(parts) if left_out else "nothing"
    return {
        "format": bundle.FORMAT,
        "tool": {"name": "readout", "version": __version__},
        "created_at": format_time(utcnow()),
        "origin": origin,
        "selection": {
            "url": selection.url,
            "since": format_time(selection.since) if selection.since else None,
            "until": format_time(selection.until) if selection.until else None,
            "records_in_log": in_log,
            "records_selected": selected,
            "left_out": description,
        },
        "public_keys": keys,
        "checkpoint": {
            "size": head.size,
            "root_hash": head.root_hash,
            "timestamp": (
                {"tsa_url": head.timestamp["tsa_url"], "gen_time": head.timestamp["gen_time"]}
                if head.timestamp
                else None
            ),
        },
        "files": hashes,
    }
