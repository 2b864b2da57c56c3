"""Check a whole archive: every stored byte, every signature, the chain, every derived row.

Nothing in the catalogue is trusted. Signed observation records are the
ground truth; the ``versions`` and ``changes`` tables and the observation
columns are recomputed from them and compared; every stored object is
decompressed and rehashed. Each problem is reported with what is wrong and
where, and checking goes on, so one run names every problem.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from archive import keyring, verify_log
from archive.errors import ArchiveError, ReadoutError
from archive.repo import Archive
from archive.report import Report
from provenance import records
from provenance.errors import ProvenanceError
from provenance.hashing import sha256_hex
from provenance.records import SignedRecord

# Observation columns that must equal the signed record's fields.
_COLUMNS = (
    "url",
    "observed_at",
    "outcome",
    "http_status",
    "final_url",
    "content_sha256",
    "content_length",
    "text_sha256",
    "version",
    "error",
    "key_id",
)


def verify_archive(
    archive: Archive,
    progress: Callable[[str], None] | None = None,
    against: str | None = None,
) -> Report:
    """Verify the whole archive and return a report (never raises for a problem found).

    With ``against`` (a checkpoint note someone kept), also check that the
    log still extends it.
    """
    report = Report()
    objects = _verify_objects(archive, report, progress)
    derived_versions: dict[tuple[str, int], dict[str, Any]] = {}
    derived_changes: dict[int, dict[str, Any]] = {}
    leaves = _verify_observations(
        archive, report, objects, derived_versions, derived_changes, progress
    )
    _verify_versions(archive, report, derived_versions)
    _verify_changes(archive, report, derived_changes)
    tree = verify_log.verify_tree(archive, report, leaves)
    verify_log.verify_checkpoints(archive, report, tree)
    verify_log.verify_timestamps(archive, report)
    if against is not None:
        verify_log.verify_against(archive, report, tree, against)
    if progress:
        progress(f"checked the Merkle tree of {tree.size} records and its checkpoints")
    return report


def _verify_objects(
    archive: Archive, report: Report, progress: Callable[[str], None] | None
) -> set[str]:
    """Rehash every catalogued object; return the names that are present and intact."""
    good: set[str] = set()
    catalogued: set[str] = set()
    for row in archive.db.execute("SELECT sha256, size FROM contents").fetchall():
        sha, size = row
        catalogued.add(sha)
        report.count("objects")
        try:
            data = archive.store.get(sha)
        except ArchiveError as exc:
            report.add(str(exc), f"object {sha}")
            continue
        if size is not None and len(data) != size:
            report.add(
                f"object is {len(data)} bytes but the catalogue says {size}", f"object {sha}"
            )
            continue
        good.add(sha)
    unreferenced = sum(1 for name in archive.store.names() if name not in catalogued)
    if unreferenced:
        # Written just before a run was killed: harmless, adopted by the next run.
        report.count("uncatalogued_objects", unreferenced)
    if progress:
        progress(f"checked {len(catalogued)} objects")
    return good


def _verify_observations(
    archive: Archive,
    report: Report,
    objects: set[str],
    versions: dict[tuple[str, int], dict[str, Any]],
    changes: dict[int, dict[str, Any]],
    progress: Callable[[str], None] | None,
) -> list[bytes]:
    """Walk the log in order: hashes, signatures, chain, and each observation's columns.

    Returns every record's bytes in log order: the leaves the Merkle tree
    must be built from.
    """
    keys = archive.public_keys()
    leaves: list[bytes] = []
    cosignatures: dict[int, dict[str, str]] = {}
    for seq, key_id, signature in archive.db.execute(
        "SELECT seq, key_id, signature FROM cosignatures"
    ).fetchall():
        cosignatures.setdefault(seq, {})[key_id] = signature
    report.count("keys", len(keys))
    previous: SignedRecord | None = None
    expected_seq = 0
    current: dict[str, tuple[int, str]] = {}  # url -> (version, text sha)
    columns = [c for c in _COLUMNS if c != "key_id"]
    cursor = archive.db.execute(
        "SELECT l.seq, l.kind, l.record, l.record_sha256, l.signature, l.key_id, "
        "o.seq IS NOT NULL, o.key_id, o.change_id, "
        + ", ".join(f"o.{c}" for c in columns)
        + " FROM log l LEFT JOIN observations o ON o.seq = l.seq ORDER BY l.seq"
    )
    names = ["seq", "kind", "record", "record_sha256", "signature", "log_key_id", "has_row"]
    names += ["key_id", "change_id", *columns]
    for raw in cursor:
        row = dict(zip(names, raw, strict=True))
        seq = row["seq"]
        where = f"log entry {seq}" if row["kind"] != "observation" else f"observation {seq}"
        report.count("log_entries")
        if seq != expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
            report.add(f"log entry {missing} is missing: rows were deleted", where)
        expected_seq = seq + 1
        data = (row["record"] or "").encode("utf-8")
        leaves.append(data)
        try:
            signature = records.decode_signature(row["signature"] or "")
        except ProvenanceError as exc:
            report.add(str(exc), where)
            previous = SignedRecord(data, b"", row["log_key_id"] or "")
            continue
        signed = SignedRecord(data, signature, row["log_key_id"] or "")
        if sha256_hex(data) != row["record_sha256"]:
            report.add("the stored record hash does not match the record", where)
        try:
            body = signed.body()
        except ProvenanceError as exc:
            report.add(str(exc), where)
            previous = signed
            continue
        try:
            records.verify_signature(signed, keys)
            report.count("signatures")
        except ProvenanceError as exc:
            report.add(str(exc), where)
        try:
            records.check_link(body, previous)
        except ProvenanceError as exc:
            report.add(f"the chain is broken: {exc}", where)
        previous = signed
        if body.get("seq") != seq:
            report.add(f"the record says seq {body.get('seq')} but is filed as {seq}", where)
        if row["kind"] == "key-rotation":
            report.count("key_rotations")
            try:
                keyring.check_rotation(body, data, cosignatures.get(seq, {}))
            except (ProvenanceError, ReadoutError) as exc:
                report.add(f"key rotation: {exc}", where)
            continue
        if row["kind"] != "observation":
            report.add(f"unknown log entry kind {row['kind']!r}", where)
            continue
        report.count("observations")
        if not row["has_row"]:
            report.add("the observation row for this signed record is missing", where)
        else:
            for column in _COLUMNS:
                if body.get(column) != row[column]:
                    report.add(
                        f"column {column} is {row[column]!r} but the signed record says "
                        f"{body.get(column)!r}",
                        where,
                    )
            if (body.get("change") or {}).get("id") != row["change_id"]:
                report.add("column change_id does not match the signed record", where)
        for key in ("content_sha256", "text_sha256"):
            sha = body.get(key)
            if sha is not None and sha not in objects:
                report.add(f"the {key.split('_')[0]} object {sha} is missing or damaged", where)
        if body.get("outcome") == "ok":
            try:
                _derive(body, where, report, current, versions, changes)
            except (KeyError, TypeError, AttributeError):
                report.add("the record lacks the fields an observation must have", where)
    orphans = archive.db.execute(
        "SELECT seq FROM observations WHERE seq NOT IN (SELECT seq FROM log) ORDER BY seq"
    ).fetchall()
    for (seq,) in orphans:
        report.add("no signed log entry supports this observation row", f"observation {seq}")
    if progress:
        progress(f"checked {expected_seq} log entries")
    return leaves


def _derive(
    body: dict[str, Any],
    where: str,
    report: Report,
    current: dict[str, tuple[int, str]],
    versions: dict[tuple[str, int], dict[str, Any]],
    changes: dict[int, dict[str, Any]],
) -> None:
    """Fold one good observation into the versions and changes it implies."""
    url, number, text_sha = body["url"], body.get("version"), body.get("text_sha256")
    seq, at = body["seq"], body["observed_at"]
    before = current.get(url)
    if before is not None and before[1] == text_sha:
        expected = before[0]
    else:
        expected = 1 if before is None else before[0] + 1
    if number != expected:
        report.add(f"the record says version {number} but the history implies {expected}", where)
    change = body.get("change")
    if before is not None and before[1] != text_sha:
        if not change:
            report.add("the text changed but the record carries no change", where)
        else:
            changes[change["id"]] = {**change, "url": url, "seq": seq}
    elif change:
        report.add("the record carries a change but the text did not change", where)
    current[url] = (expected, text_sha)
    key = (url, expected)
    if key not in versions:
        versions[key] = {
            "text_sha256": text_sha,
            "content_sha256": body.get("content_sha256"),
            "first_seen": at,
            "first_seq": seq,
            "last_seen": at,
            "last_seq": seq,
            "observations": 0,
        }
    entry = versions[key]
    entry["last_seen"], entry["last_seq"] = at, seq
    entry["observations"] += 1


def _compare(
    report: Report,
    name: str,
    stored: dict[Any, dict[str, Any]],
    derived: dict[Any, dict[str, Any]],
    where: Callable[[Any], str],
    missing: str,
    unsupported: str,
) -> None:
    """Compare a table's rows with the rows the signed records imply, field by field."""
    report.count(name, len(stored))
    for key, expect in derived.items():
        row = stored.get(key)
        if row is None:
            report.add(missing, where(key))
            continue
        for field_name, value in expect.items():
            if field_name in row and row[field_name] != value:
                report.add(
                    f"{field_name} is {row[field_name]!r} but the signed records give {value!r}",
                    where(key),
                )
    for key in stored.keys() - derived.keys():
        report.add(unsupported, where(key))


def _json_or_text(text: str | None) -> Any:
    """Parse a JSON column; a damaged value stays text, so it is reported, not fatal."""
    try:
        return json.loads(text or "[]")
    except ValueError:
        return text


def _verify_versions(
    archive: Archive, report: Report, derived: dict[tuple[str, int], dict[str, Any]]
) -> None:
    stored = {(row["url"], row["version"]): row for row in archive.db["versions"].rows}
    _compare(
        report,
        "versions",
        stored,
        derived,
        lambda key: f"version {key[1]} of {key[0]}",
        "the version implied by the signed records is missing",
        "no signed observation supports this version",
    )


def _verify_changes(archive: Archive, report: Report, derived: dict[int, dict[str, Any]]) -> None:
    stored = {
        row["id"]: {**row, "silent": bool(row["silent"]), "kinds": _json_or_text(row["kinds"])}
        for row in archive.db["changes"].rows
    }
    _compare(
        report,
        "changes",
        stored,
        derived,
        lambda key: f"change {key}",
        "the change recorded in a signed observation is missing",
        "no signed observation records this change",
    )
