"""Audit bundles: the files, and the offline verifier anyone can run.

A bundle is a directory or a ``.zip`` holding::

    manifest.json        tool, time, selection, public keys, checkpoint, SHA-256 of every file
    manifest.sig         Ed25519 signature of manifest.json by an archive key
    observations.jsonl   every selected log record exactly as signed, with its
                         signature, cosignatures and inclusion proof
    versions.jsonl       the versions the selected records imply
    changes.jsonl        the edits the selected records carry
    changes.csv          the same edits, one row each, for spreadsheets
    objects/sha256/<hex>.gz   the raw responses and texts the records name
    checkpoint.txt       the signed checkpoint every proof is against
    checkpoint.tsr       its RFC 3161 token, if the archive has one
    tsa-roots.pem        the TSA root certificate(s) the token chains to
    README.txt           how to check all this

``verify_bundle`` trusts nothing but the bundle and, if given, a public key
the reader obtained elsewhere: every file hash in the manifest, every content
hash, every record's signature and inclusion proof, the checkpoint's
signature, the timestamp token, the schemas, and that the derived files say
what the records say. It needs only this package, ``schemas``, cryptography,
jsonschema and rfc3161-client.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hmac
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from provenance import records
from provenance.canonical import parse_canonical
from provenance.checkpoint import Checkpoint, open_checkpoint
from provenance.errors import FormatError, ProvenanceError
from provenance.hashing import sha256_hex
from provenance.keys import PublicKey
from provenance.merkle import leaf_hash, verify_inclusion
from provenance.note import NoteVerifier
from provenance.timestamp import load_certificates, verify_token

FORMAT = "readout-bundle/1"
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
OBSERVATIONS = "observations.jsonl"
VERSIONS = "versions.jsonl"
CHANGES = "changes.jsonl"
CHANGES_CSV = "changes.csv"
CHECKPOINT = "checkpoint.txt"
TOKEN = "checkpoint.tsr"
TSA_ROOTS = "tsa-roots.pem"
README = "README.txt"
CSV_COLUMNS = (
    "id",
    "url",
    "from_version",
    "to_version",
    "not_before",
    "detected_at",
    "silent",
    "kinds",
    "summary",
    "seq",
)
#: Signatures over a manifest carry this prefix, so they can never pass for
#: a record's or a checkpoint's signature.
MANIFEST_DOMAIN = b"readout/manifest/v1\n"


def object_path(sha256: str) -> str:
    """Where a content object sits in a bundle."""
    return f"objects/sha256/{sha256}.gz"


def sign_manifest(data: bytes, private: Any, key_id: str) -> bytes:
    """The ``manifest.sig`` file for manifest bytes: JSON with the key id and signature."""
    signature = private.sign(MANIFEST_DOMAIN + data)
    body = {"key_id": key_id, "signature": base64.b64encode(signature).decode()}
    return (json.dumps(body, sort_keys=True) + "\n").encode()


def changes_csv(changes: list[dict[str, Any]]) -> bytes:
    """The spreadsheet form of the changes: one row each, kinds joined with ';'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for change in changes:
        row = dict(change, kinds=";".join(change["kinds"]), silent=str(change["silent"]).lower())
        writer.writerow([row[c] for c in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


class _Files:
    """Read access to a bundle directory or zip, by POSIX relative path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        if path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile as exc:
                raise FormatError(f"{path} is neither a bundle directory nor a zip file.") from exc
        elif not path.is_dir():
            raise FormatError(f"there is no bundle at {path}.")

    def names(self) -> set[str]:
        if self.zip is not None:
            return {n for n in self.zip.namelist() if not n.endswith("/")}
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()}

    def read(self, name: str) -> bytes:
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts:
            raise FormatError(f"{name!r} is not a path inside the bundle.")
        try:
            if self.zip is not None:
                return self.zip.read(name)
            return (self.path / name).read_bytes()
        except (KeyError, FileNotFoundError):
            raise FormatError(f"{name} is missing from the bundle.") from None

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


@dataclass
class BundleReport:
    """What was checked and every problem found (the ``verify`` JSON shape)."""

    checked: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.problems

    def add(self, what: str, where: str) -> None:
        """Record a problem."""
        self.problems.append({"what": what, "where": where})

    def count(self, name: str, n: int = 1) -> None:
        """Count something checked."""
        self.checked[name] = self.checked.get(name, 0) + n

    def to_json(self) -> dict[str, Any]:
        """``{"ok", "checked", "problems"}`` plus the notes on what was trusted."""
        return {
            "ok": self.ok,
            "checked": dict(self.checked),
            "problems": list(self.problems),
            "notes": list(self.notes),
        }


Validate = Callable[[str, Any], None]


def _schema_validator() -> Validate:
    import jsonschema

    import schemas

    def validate(name: str, value: Any) -> None:
        schema = schemas.load(name)
        jsonschema.Draft202012Validator(schema).validate(value)

    return validate


def verify_bundle(path: Path, pubkey: PublicKey | None = None) -> BundleReport:
    """Check a bundle offline; never raises for a problem found, only reports it."""
    report = BundleReport()
    try:
        files = _Files(path)
    except FormatError as exc:
        report.add(str(exc), str(path))
        return report
    try:
        _verify(files, report, pubkey, _schema_validator())
    except ProvenanceError as exc:  # a file the later checks need is missing or unreadable
        report.add(str(exc), str(path))
    finally:
        files.close()
    return report


def _json_lines(data: bytes, name: str, report: BundleReport) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        try:
            yield number, json.loads(line)
        except ValueError:
            report.add("the line is not JSON", f"{name} line {number}")


def _verify(
    files: _Files, report: BundleReport, pubkey: PublicKey | None, validate: Validate
) -> None:
    try:
        manifest_bytes = files.read(MANIFEST)
        manifest = json.loads(manifest_bytes)
        validate("manifest", manifest)
    except (FormatError, ValueError) as exc:
        report.add(f"the manifest is unreadable: {exc}", MANIFEST)
        return
    except Exception as exc:  # jsonschema.ValidationError, without importing it here
        report.add(f"the manifest does not match its schema: {_short(exc)}", MANIFEST)
        return
    keys = _keys(manifest, report, pubkey)
    if pubkey is not None and keys:
        keys = _trusted_from(pubkey, keys, files)
    _check_manifest_signature(files, manifest_bytes, keys, report)
    _check_file_hashes(files, manifest, report)
    checkpoint = _check_checkpoint(files, manifest, keys, report)
    _check_timestamp(files, manifest, report)
    if checkpoint is None:
        return
    seen = _check_records(files, manifest, keys, checkpoint, report, validate)
    _check_derived(files, seen, report, validate)


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]


def _keys(
    manifest: dict[str, Any], report: BundleReport, pubkey: PublicKey | None
) -> dict[str, PublicKey]:
    keys: dict[str, PublicKey] = {}
    for entry in manifest.get("public_keys", []):
        try:
            key = PublicKey.from_b64(entry["public_key"])
        except (ProvenanceError, KeyError) as exc:
            report.add(f"a public key is unreadable: {exc}", MANIFEST)
            continue
        if key.key_id != entry.get("key_id"):
            report.add(f"key {entry.get('key_id')} does not hash to its id", MANIFEST)
            continue
        keys[key.key_id] = key
    if pubkey is None:
        report.notes.append(
            "trusted the public keys the bundle names; pass --pubkey to pin a key "
            "obtained elsewhere"
        )
        return keys
    if pubkey.key_id not in keys:
        report.add(
            f"the pinned key {pubkey.key_id} is not among the bundle's keys; this bundle "
            "is not from the archive you expect",
            MANIFEST,
        )
        return {}
    report.notes.append(
        f"pinned key {pubkey.key_id}; other keys count only through rotations it is part of"
    )
    return keys


def _trusted_from(
    pinned: PublicKey, keys: dict[str, PublicKey], files: _Files
) -> dict[str, PublicKey]:
    """The pinned key plus every key linked to it by a logged rotation, in either direction.

    A rotation record is signed by the old key and cosigned by the new one, so
    each vouches for the other: pinning today's key also admits the keys it
    took over from, and pinning an old key admits its successors.
    """
    trusted = {pinned.key_id: pinned}
    try:
        lines = files.read(OBSERVATIONS).decode("utf-8").splitlines()
    except (FormatError, UnicodeDecodeError):
        return trusted
    links: list[tuple[PublicKey, PublicKey]] = []
    for line in lines:
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or entry.get("kind") != "key-rotation":
                continue
            data = entry["record"].encode("utf-8")
            body = parse_canonical(data)
            old = PublicKey.from_b64(body["old_key"]["public_key"])
            new = PublicKey.from_b64(body["new_key"]["public_key"])
            old.verify(records.decode_signature(entry["signature"]), records.DOMAIN + data)
            cosigned = [c for c in entry.get("cosignatures", []) if c.get("key_id") == new.key_id]
            new.verify(records.decode_signature(cosigned[0]["signature"]), records.DOMAIN + data)
        except (ValueError, ProvenanceError, KeyError, TypeError, IndexError, AttributeError):
            continue
        links.append((old, new))
    grew = True
    while grew:
        grew = False
        for old, new in links:
            for a, b in ((old, new), (new, old)):
                if a.key_id in trusted and b.key_id not in trusted and b.key_id in keys:
                    trusted[b.key_id] = b
                    grew = True
    return trusted


def _check_manifest_signature(
    files: _Files, data: bytes, keys: dict[str, PublicKey], report: BundleReport
) -> None:
    try:
        sig = json.loads(files.read(MANIFEST_SIG))
        key = keys.get(sig.get("key_id", ""))
        if key is None:
            raise FormatError("it is signed by a key the bundle does not name")
        key.verify(records.decode_signature(sig.get("signature", "")), MANIFEST_DOMAIN + data)
        report.count("manifest_signature")
    except (FormatError, ValueError, ProvenanceError, AttributeError) as exc:
        report.add(f"the manifest signature does not check out: {exc}", MANIFEST_SIG)


def _check_file_hashes(files: _Files, manifest: dict[str, Any], report: BundleReport) -> None:
    listed: dict[str, str] = manifest.get("files", {})
    for name, expected in sorted(listed.items()):
        try:
            data = files.read(name)
        except FormatError as exc:
            report.add(str(exc), name)
            continue
        if not hmac.compare_digest(sha256_hex(data), expected):
            report.add("the file does not match its SHA-256 in the manifest", name)
        report.count("files")
    extra = files.names() - set(listed) - {MANIFEST, MANIFEST_SIG}
    for name in sorted(extra):
        report.add("the file is not listed in the manifest", name)


def _check_checkpoint(
    files: _Files, manifest: dict[str, Any], keys: dict[str, PublicKey], report: BundleReport
) -> Checkpoint | None:
    origin = manifest.get("origin", "")
    try:
        note = files.read(CHECKPOINT).decode("utf-8")
        verifiers = [NoteVerifier(origin, key) for key in keys.values()]
        checkpoint = open_checkpoint(note, verifiers, origin)
    except (FormatError, UnicodeDecodeError, ProvenanceError) as exc:
        report.add(f"the checkpoint does not check out: {exc}", CHECKPOINT)
        return None
    claimed = manifest.get("checkpoint", {})
    if claimed.get("size") != checkpoint.size or claimed.get("root_hash") != checkpoint.root_b64:
        report.add("the manifest names another checkpoint than the one enclosed", CHECKPOINT)
    report.count("checkpoint")
    return checkpoint


def _check_timestamp(files: _Files, manifest: dict[str, Any], report: BundleReport) -> None:
    if TOKEN not in manifest.get("files", {}):
        report.notes.append("the checkpoint carries no RFC 3161 timestamp")
        return
    try:
        roots = load_certificates(files.read(TSA_ROOTS))
        verify_token(files.read(TOKEN), files.read(CHECKPOINT), roots)
        report.count("timestamp")
        report.notes.append(
            "checked the timestamp against the TSA root enclosed in the bundle; compare "
            "it with the TSA's published root"
        )
    except ProvenanceError as exc:
        report.add(f"the timestamp does not check out: {exc}", TOKEN)


@dataclass
class _Seen:
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    objects: set[str] = field(default_factory=set)


def _check_records(
    files: _Files,
    manifest: dict[str, Any],
    keys: dict[str, PublicKey],
    checkpoint: Checkpoint,
    report: BundleReport,
    validate: Validate,
) -> _Seen:
    seen = _Seen()
    try:
        data = files.read(OBSERVATIONS)
    except FormatError as exc:
        report.add(str(exc), OBSERVATIONS)
        return seen
    for number, entry in _json_lines(data, OBSERVATIONS, report):
        where = f"{OBSERVATIONS} line {number}"
        try:
            validate("bundle-entry", entry)
            record_bytes = entry["record"].encode("utf-8")
            body = parse_canonical(record_bytes)
            signed = records.SignedRecord(
                record_bytes, records.decode_signature(entry["signature"]), entry["key_id"]
            )
            records.verify_signature(signed, keys)
            validate("key-rotation" if entry["kind"] == "key-rotation" else "observation", body)
            if body.get("seq") != entry["seq"]:
                raise FormatError(f"the record says seq {body.get('seq')}, the line {entry['seq']}")
            proof = [base64.b64decode(p, validate=True) for p in entry["inclusion_proof"]]
            verify_inclusion(
                entry["seq"], checkpoint.size, leaf_hash(record_bytes), proof, checkpoint.root_hash
            )
            if entry["kind"] == "key-rotation":
                _check_cosignature(body, record_bytes, entry, report, where)
        except ProvenanceError as exc:
            report.add(str(exc), where)
            continue
        except (KeyError, TypeError, ValueError) as exc:
            report.add(f"the entry is malformed: {exc}", where)
            continue
        except Exception as exc:  # a schema violation
            report.add(f"the entry does not match its schema: {_short(exc)}", where)
            continue
        if entry["seq"] in seen.records:
            report.add(f"record {entry['seq']} appears twice", where)
        seen.records[entry["seq"]] = body
        report.count("records")
        for key in ("content_sha256", "text_sha256"):
            sha = body.get(key)
            if sha and sha not in seen.objects:
                seen.objects.add(sha)
                _check_object(files, sha, report, f"record {entry['seq']}")
    selection = manifest.get("selection", {})
    if selection.get("records_selected") != len(seen.records):
        report.add(
            f"the manifest says {selection.get('records_selected')} records were selected but "
            f"{len(seen.records)} check out",
            OBSERVATIONS,
        )
    return seen


def _check_cosignature(
    body: dict[str, Any], data: bytes, entry: dict[str, Any], report: BundleReport, where: str
) -> None:
    new = PublicKey.from_b64(body["new_key"]["public_key"])
    for item in entry.get("cosignatures", []):
        if item.get("key_id") == new.key_id:
            new.verify(records.decode_signature(item["signature"]), records.DOMAIN + data)
            report.count("cosignatures")
            return
    report.add("the key rotation lacks the new key's cosignature", where)


def _check_object(files: _Files, sha: str, report: BundleReport, where: str) -> None:
    name = object_path(sha)
    try:
        data = gzip.decompress(files.read(name))
    except (FormatError, OSError, EOFError, zlib.error) as exc:
        report.add(f"the object {sha} is missing or unreadable ({exc})", name)
        return
    if not hmac.compare_digest(sha256_hex(data), sha):
        report.add(f"the object {sha} does not hash to its name", name)
        return
    report.count("objects")


def _check_derived(files: _Files, seen: _Seen, report: BundleReport, validate: Validate) -> None:
    """changes.jsonl, changes.csv and versions.jsonl must say what the signed records say."""
    expected_changes = {
        body["change"]["id"]: {**body["change"], "url": body["url"], "seq": seq}
        for seq, body in seen.records.items()
        if body.get("change")
    }
    found: dict[int, dict[str, Any]] = {}
    for number, change in _json_lines(files.read(CHANGES), CHANGES, report):
        where = f"{CHANGES} line {number}"
        try:
            validate("bundle-change", change)
        except Exception as exc:
            report.add(f"the change does not match its schema: {_short(exc)}", where)
            continue
        found[change["id"]] = change
        if expected_changes.get(change["id"]) != change:
            report.add("the change differs from the one in its signed record", where)
    for missing in sorted(expected_changes.keys() - found.keys()):
        report.add(f"change {missing}, carried by a signed record, is missing", CHANGES)
    report.count("changes", len(found))
    if files.read(CHANGES_CSV) != changes_csv(sorted(found.values(), key=lambda c: c["id"])):
        report.add("the spreadsheet does not match changes.jsonl", CHANGES_CSV)
    expected_versions = _versions(seen.records)
    versions_found = 0
    for number, version in _json_lines(files.read(VERSIONS), VERSIONS, report):
        where = f"{VERSIONS} line {number}"
        try:
            validate("bundle-version", version)
        except Exception as exc:
            report.add(f"the version does not match its schema: {_short(exc)}", where)
            continue
        key = (version.get("url"), version.get("version"))
        if expected_versions.pop(key, None) != version:
            report.add("the version differs from what the signed records imply", where)
        versions_found += 1
    for url, number in sorted(expected_versions):
        report.add(f"version {number} of {url}, implied by the records, is missing", VERSIONS)
    report.count("versions", versions_found)


def _versions(bodies: dict[int, dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for seq in sorted(bodies):
        body = bodies[seq]
        if body.get("outcome") != "ok" or body.get("version") is None:
            continue
        key = (body["url"], body["version"])
        entry = out.setdefault(
            key,
            {
                "url": body["url"],
                "version": body["version"],
                "text_sha256": body["text_sha256"],
                "content_sha256": body["content_sha256"],
                "first_seen": body["observed_at"],
                "last_seen": body["observed_at"],
                "observations": 0,
            },
        )
        entry["last_seen"] = body["observed_at"]
        entry["observations"] += 1
    return out


def versions_from_records(bodies: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The versions a set of signed records implies (what ``versions.jsonl`` holds)."""
    return list(_versions(bodies).values())
