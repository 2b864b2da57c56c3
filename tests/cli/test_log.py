"""The transparency log through the CLI: checkpoints, proofs, rotation, and history rewritten."""

from __future__ import annotations

import json
import sqlite3

import jsonschema
import pytest
from support import noisy_page

import schemas
from archive import checkpoints
from archive.localsite import Page
from archive.logstore import merkle_log
from archive.repo import Archive
from provenance import records
from provenance.checkpoint import Checkpoint, sign_checkpoint
from provenance.merkle import MemoryNodeStore, MerkleLog, leaf_hash
from provenance.note import NoteVerifier
from provenance.tlogproof import TlogProof


def _validate(name, value):
    jsonschema.Draft202012Validator(schemas.load(name)).validate(value)


@pytest.fixture
def logged(initialised, serve, site, tmp_path):
    """An archive with three runs (6 records) and the checkpoint kept after the first."""
    urls = [serve(f"/p{i}", noisy_page(seed=i, topic=f"item {i}")) for i in range(2)]
    initialised("snapshot", *urls)
    kept = tmp_path / "kept.checkpoint"
    kept.write_text(initialised("log", "checkpoint").stdout)
    site.pages["/p0"] = Page(noisy_page(seed=0, topic="item 0 revised"))
    initialised("snapshot", *urls)
    initialised("snapshot", *urls)
    return initialised, urls, kept


def _db(runner):
    return sqlite3.connect(runner.archive / "readout.db")


def test_each_run_ends_with_a_signed_checkpoint(logged):
    readout, _urls, kept = logged
    listing = readout.json("log", "checkpoints")
    _validate("checkpoints", listing)
    assert [c["size"] for c in listing] == [2, 4, 6]
    latest = readout.json("log", "checkpoint")
    _validate("checkpoint", latest)
    assert latest == listing[-1]
    vkeys = [k["note_vkey"] for k in readout.json("key", "show")]
    verifiers = [NoteVerifier.from_vkey(v) for v in vkeys]
    head = checkpoints.open_checkpoint(latest["note"], verifiers)
    assert head.size == 6
    assert checkpoints.open_checkpoint(kept.read_text(), verifiers).size == 2
    # a run that records nothing new makes no new checkpoint
    readout("snapshot", "http://127.0.0.1:9/nothing-here", code=3)
    assert [c["size"] for c in readout.json("log", "checkpoints")] == [2, 4, 6, 7]


def test_prove_gives_a_tlog_proof_anyone_can_check(logged):
    readout, _urls, _kept = logged
    verifiers = [NoteVerifier.from_vkey(k["note_vkey"]) for k in readout.json("key", "show")]
    with _db(readout) as db:
        rows = db.execute("SELECT seq, record, record_sha256 FROM log ORDER BY seq").fetchall()
    for seq, record, sha in rows:
        text = readout("log", "prove", str(seq)).stdout
        proof = TlogProof.parse(text)
        assert proof.index == seq
        assert proof.verify(record.encode(), verifiers).size == 6
        by_hash = readout.json("log", "prove", sha[:12])
        _validate("prove", by_hash)
        assert by_hash["tlog_proof"] == text and by_hash["record"] == record
    other = rows[1][1].encode()
    with pytest.raises(Exception, match="inclusion proof"):
        TlogProof.parse(readout("log", "prove", "0").stdout).verify(other, verifiers)
    assert "no record 99" in readout("log", "prove", "99", code=1).stderr
    assert "neither" in readout("log", "prove", "zz", code=2).stderr


def test_consistency_and_verify_against_a_kept_checkpoint(logged):
    readout, _urls, kept = logged
    result = readout.json("log", "consistency", str(kept))
    _validate("consistency", result)
    assert (result["old_size"], result["new_size"]) == (2, 6)
    report = readout.json("verify", "--against", str(kept))
    assert report["ok"] and report["checked"]["checkpoints_against"] == 1
    assert report["checked"]["checkpoints"] == 3 and report["checked"]["merkle_nodes"] == 10


def test_a_checkpoint_from_another_archive_is_refused(logged, tmp_path):
    readout, _urls, _kept = logged
    stranger = tmp_path / "stranger"
    other = type(readout)(stranger, readout.env)
    other("init")
    archive = Archive.open(stranger)
    signer = archive.signer()
    foreign = tmp_path / "foreign.checkpoint"
    note = sign_checkpoint(
        Checkpoint(checkpoints.origin(archive), 2, bytes(32)),
        [checkpoints.note_signer(archive, signer)],
    )
    foreign.write_text(note)
    assert "does not check out" in readout("log", "consistency", str(foreign), code=2).stderr
    report = readout.json("verify", "--against", str(foreign), code=4)
    assert report["problems"][0]["where"] == "the given checkpoint"


def _rewrite(readout, seq, change, *, rebuild_tree=True, resign_checkpoints=True):
    """Edit record ``seq`` and re-sign it and everything after with the archive's own key.

    This is what an operator with full control could do: the chain, the
    observation rows, and (optionally) the Merkle tree and checkpoints are
    all made consistent again.
    """
    archive = Archive.open(readout.archive)
    signer = archive.signer()
    db = archive.db
    rows = db.execute("SELECT seq, record FROM log ORDER BY seq").fetchall()
    prev = None
    with db.conn:
        for number, text in rows:
            body = json.loads(text)
            if number == seq:
                change(body)
            if number >= seq:
                body["prev"] = prev
                signed = records.sign(body, signer.private, signer.key_id)
                db.execute(
                    "UPDATE log SET record = ?, record_sha256 = ?, signature = ? WHERE seq = ?",
                    [signed.data.decode(), signed.sha256, signed.signature_b64, number],
                )
                prev = signed.sha256
            else:
                prev = records.SignedRecord(text.encode(), b"", "").sha256
        if rebuild_tree:
            db.execute("DELETE FROM merkle_nodes")
            db.execute("UPDATE meta SET value = '0' WHERE key = 'log_size'")
            tree = merkle_log(db)
            new_rows = db.execute("SELECT record FROM log ORDER BY seq").fetchall()
            tree.append_leaf_hashes(leaf_hash(r.encode()) for (r,) in new_rows)
        if resign_checkpoints:
            tree = merkle_log(db)
            for (size,) in db.execute("SELECT size FROM checkpoints").fetchall():
                head = Checkpoint(checkpoints.origin(archive), size, tree.root(size))
                note = sign_checkpoint(head, [checkpoints.note_signer(archive, signer)])
                db.execute(
                    "UPDATE checkpoints SET note = ?, root_hash = ? WHERE size = ?",
                    [note, head.root_b64, size],
                )
    archive.close()


def _quiet_edit(body):
    body["elapsed_ms"] = body["elapsed_ms"] + 1  # not mirrored in any column


def test_a_rewrite_resigned_everywhere_is_caught_only_by_a_kept_checkpoint(logged):
    readout, _urls, kept = logged
    _rewrite(readout, 1, _quiet_edit)
    assert readout.json("verify")["ok"] is True  # the limit of self-checks, by design
    report = readout.json("verify", "--against", str(kept), code=4)
    problem = report["problems"][0]
    assert problem["where"] == "the given checkpoint"
    assert "rewritten" in problem["what"] and "no older copy" in problem["what"]
    assert "does not extend" in readout("log", "consistency", str(kept), code=4).stderr


def test_a_rewrite_that_left_the_tree_is_named_by_record(logged):
    readout, _urls, kept = logged
    _rewrite(readout, 1, _quiet_edit, rebuild_tree=False, resign_checkpoints=False)
    report = readout.json("verify", code=4)
    wheres = {p["where"] for p in report["problems"]}
    assert "log entry 1" in wheres  # the leaf no longer matches the record
    assert {"checkpoint 2", "checkpoint 4", "checkpoint 6"} <= wheres
    against = readout.json("verify", "--against", str(kept), code=4)
    assert any("first changed record is log entry 1" in p["what"] for p in against["problems"])


def test_a_deleted_record_is_found(logged):
    readout, _urls, kept = logged
    with _db(readout) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DELETE FROM observations WHERE seq = 3")
        db.execute("DELETE FROM log WHERE seq = 3")
    report = readout.json("verify", "--against", str(kept), code=4)
    text = json.dumps(report["problems"])
    assert "log entry 3 is missing" in text
    assert "checkpoint 6" in text


def test_reordered_records_are_found(logged):
    readout, _urls, _kept = logged
    with _db(readout) as db:
        (a,), (b,) = db.execute("SELECT record FROM log WHERE seq IN (2, 3) ORDER BY seq")
        db.execute("UPDATE log SET record = ? WHERE seq = 2", [b])
        db.execute("UPDATE log SET record = ? WHERE seq = 3", [a])
    problems = readout.json("verify", code=4)["problems"]
    assert any("chain is broken" in p["what"] for p in problems)
    assert any("seq 3 but is filed as 2" in p["what"] for p in problems)


def test_an_edited_checkpoint_is_found(logged):
    readout, _urls, _kept = logged
    with _db(readout) as db:
        (note,) = db.execute("SELECT note FROM checkpoints WHERE size = 4").fetchone()
        db.execute(
            "UPDATE checkpoints SET note = ? WHERE size = 4", [note.replace("\n4\n", "\n5\n", 1)]
        )
    problems = readout.json("verify", code=4)["problems"]
    assert [p["where"] for p in problems] == ["checkpoint 4"]
    assert "signature" in problems[0]["what"]


def test_a_truncated_log_is_caught_by_a_kept_checkpoint(logged, tmp_path):
    readout, _urls, _kept = logged
    later = tmp_path / "later.checkpoint"
    later.write_text(readout("log", "checkpoint").stdout)
    with _db(readout) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        for table in ("observations", "log"):
            db.execute(f"DELETE FROM {table} WHERE seq >= 4")
        db.execute("DELETE FROM versions WHERE first_seq >= 4")
        db.execute("UPDATE versions SET last_seq = 3 WHERE last_seq >= 4")
        db.execute("DELETE FROM changes WHERE seq >= 4")
        db.execute("DELETE FROM checkpoints WHERE size > 4")
        db.execute("DELETE FROM merkle_nodes WHERE (idx + 1) * (1 << level) > 4")
        db.execute("UPDATE meta SET value = '4' WHERE key = 'log_size'")
    problems = readout.json("verify", "--against", str(later), code=4)["problems"]
    assert any("truncated" in p["what"] for p in problems)


def test_key_rotation_is_logged_signed_by_both_and_old_records_still_verify(logged, serve):
    readout, urls, kept = logged
    before = readout.json("key", "show")
    out = readout.json("key", "rotate")
    _validate("key-rotate", out)
    assert out["seq"] == 6 and out["old_key_id"] == before[0]["key_id"]
    keys = readout.json("key", "show")
    _validate("keys", keys)
    assert {k["key_id"]: k["status"] for k in keys} == {
        out["old_key_id"]: "retired",
        out["new_key_id"]: "active",
    }
    key_dir = readout.archive / "keys"
    assert (key_dir / f"ed25519-{out['old_key_id']}.retired.pem").exists()
    assert not (key_dir / "ed25519.next.pem").exists()
    assert (key_dir / "ed25519.pem").stat().st_mode & 0o777 == 0o600
    readout("snapshot", *urls)
    with _db(readout) as db:
        (rotation,) = db.execute("SELECT record FROM log WHERE kind = 'key-rotation'").fetchone()
        key_ids = [k for (k,) in db.execute("SELECT key_id FROM log ORDER BY seq")]
    _validate("key-rotation", json.loads(rotation))
    assert key_ids == [out["old_key_id"]] * 7 + [out["new_key_id"]] * 2
    report = readout.json("verify", "--against", str(kept))
    assert report["ok"] and report["checked"]["key_rotations"] == 1
    # the newest checkpoint is signed by the new key only, and checks with its vkey
    new_vkey = next(k["note_vkey"] for k in keys if k["status"] == "active")
    latest = readout.json("log", "checkpoint")
    assert checkpoints.open_checkpoint(latest["note"], [NoteVerifier.from_vkey(new_vkey)])
    # the new key's cosignature is what proves the hand-over
    with _db(readout) as db:
        db.execute("DELETE FROM cosignatures")
    problems = readout.json("verify", code=4)["problems"]
    assert problems == [
        {
            "what": "key rotation: the new key's cosignature on the rotation is missing.",
            "where": "log entry 6",
        }
    ]


def test_an_interrupted_rotation_is_finished_by_the_next_signer(logged):
    readout, urls, _kept = logged
    out = readout.json("key", "rotate")
    key_dir = readout.archive / "keys"
    # put the files back as they were just before the rename step
    (key_dir / "ed25519.pem").rename(key_dir / "ed25519.next.pem")
    (key_dir / f"ed25519-{out['old_key_id']}.retired.pem").rename(key_dir / "ed25519.pem")
    readout("snapshot", *urls)
    assert not (key_dir / "ed25519.next.pem").exists()
    assert readout.json("verify")["ok"]


def test_an_archive_made_before_the_tree_catches_up(initialised, serve):
    url = serve("/old", noisy_page(seed=5))
    initialised("snapshot", url)
    with _db(initialised) as db:
        db.execute("DELETE FROM merkle_nodes")
        db.execute("DELETE FROM checkpoints")
        db.execute("DELETE FROM meta WHERE key = 'log_size'")
    initialised("snapshot", url)
    report = initialised.json("verify")
    assert report["ok"] and report["checked"]["merkle_nodes"] == 3
    tree = MerkleLog(MemoryNodeStore())
    with _db(initialised) as db:
        for (record,) in db.execute("SELECT record FROM log ORDER BY seq"):
            tree.append(record.encode())
    assert initialised.json("log", "checkpoint")["root_hash"] == (
        Checkpoint("x", 2, tree.root()).root_b64
    )
