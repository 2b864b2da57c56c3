"""Key rotation: a new signing key, announced in the log and signed by both keys.

The rotation is itself a log record (kind ``key-rotation``) naming the old
and new public keys, signed by the old key like every record and cosigned by
the new one, so the hand-over is provable in both directions. Old public keys
stay in ``keys`` (status ``retired``) and every old record keeps verifying.

Order of work, so a crash at any point leaves a usable archive: the new
private key is written to ``keys/ed25519.next.pem`` first; then one
transaction logs the rotation and switches the ``keys`` table; then the key
files are renamed. ``Archive.signer`` finishes an interrupted rename.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from archive import catalogue
from archive.errors import ArchiveError
from archive.pipeline import append_to_log
from archive.repo import NEXT_KEY_FILE, Archive, Signer, finish_rotation
from archive.timeutil import format_time, utcnow
from provenance import keys as pkeys
from provenance import records
from provenance.errors import ProvenanceError
from provenance.keys import PublicKey

ROTATION_SCHEMA = "readout.key-rotation/1"


@dataclass(frozen=True)
class Rotation:
    """The outcome of a rotation: which key retired, which took over, at which record."""

    seq: int
    old: PublicKey
    new: PublicKey
    at: str


def rotate(archive: Archive, signer: Signer, passphrase: bytes | None) -> Rotation:
    """Make a new signing key and log the hand-over, signed by the old key and the new."""
    next_path = archive.key_dir / NEXT_KEY_FILE
    if next_path.exists():
        raise ArchiveError(
            f"{next_path} exists from an unfinished rotation; run any command that signs "
            "(it finishes the rotation) or remove the file if the rotation was never logged."
        )
    private = pkeys.generate()
    new = pkeys.public_key(private)
    try:
        pkeys.save_private_key(next_path, private, passphrase)
    except ProvenanceError as exc:
        raise ArchiveError(str(exc)) from exc
    at = format_time(utcnow())
    try:
        with catalogue.write_transaction(archive.db):
            head = archive.db.execute(
                "SELECT seq, record_sha256 FROM log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq = 0 if head is None else head[0] + 1
            body = {
                "schema": ROTATION_SCHEMA,
                "seq": seq,
                "prev": None if head is None else head[1],
                "key_id": signer.key_id,
                "at": at,
                "old_key": {"key_id": signer.key_id, "public_key": signer.public.b64},
                "new_key": {
                    "key_id": new.key_id,
                    "public_key": new.b64,
                    "fingerprint": new.fingerprint,
                },
            }
            signed = records.sign(body, signer.private, signer.key_id)
            append_to_log(archive, "key-rotation", signed)
            cosignature = private.sign(records.DOMAIN + signed.data)
            archive.db["cosignatures"].insert(
                {
                    "seq": seq,
                    "key_id": new.key_id,
                    "signature": base64.b64encode(cosignature).decode("ascii"),
                }
            )
            archive.db.execute(
                "UPDATE keys SET status = 'retired' WHERE key_id = ?", [signer.key_id]
            )
            archive.db["keys"].insert(
                {
                    "key_id": new.key_id,
                    "algorithm": "ed25519",
                    "public_key": new.b64,
                    "fingerprint": new.fingerprint,
                    "created_at": at,
                    "status": "active",
                }
            )
    except BaseException:
        next_path.unlink(missing_ok=True)
        raise
    finish_rotation(archive.key_dir, signer.public, new)
    return Rotation(seq, signer.public, new, at)


def check_rotation(body: dict[str, object], data: bytes, cosignatures: dict[str, str]) -> None:
    """Raise ProvenanceError unless a rotation record is cosigned by the key it introduces."""
    new_key = body.get("new_key")
    if not isinstance(new_key, dict):
        raise ArchiveError("the rotation record names no new key.")
    key = PublicKey.from_b64(str(new_key.get("public_key", "")))
    if key.key_id != new_key.get("key_id"):
        raise ArchiveError("the rotation record's new key id does not match its key.")
    signature = cosignatures.get(key.key_id)
    if signature is None:
        raise ArchiveError("the new key's cosignature on the rotation is missing.")
    key.verify(records.decode_signature(signature), records.DOMAIN + data)
