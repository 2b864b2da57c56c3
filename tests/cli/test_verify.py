"""Tampering is found: `readout verify` names each problem and exits 4."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest
from support import noisy_page, sample_page

from archive.localsite import Page


@pytest.fixture
def populated(initialised, serve, site):
    url = serve("/readout", sample_page("readout-v1.html"))
    other = serve("/other", noisy_page(seed=1))
    initialised("snapshot", url, other)
    initialised("snapshot", url, other)
    site.pages["/readout"] = Page(sample_page("readout-v2.html"))
    initialised("snapshot", url)
    report = initialised.json("verify")
    assert report["ok"] is True and report["problems"] == []
    assert report["checked"]["observations"] == 5
    assert report["checked"]["log_entries"] == 5
    assert report["checked"]["signatures"] == 5
    return initialised


def _db(runner):
    return sqlite3.connect(runner.archive / "readout.db")


def _problems(runner):
    report = runner.json("verify", code=4)
    assert report["ok"] is False
    return report["problems"]


def test_flipped_byte_in_stored_content_is_found(populated):
    objects = sorted((populated.archive / "objects").rglob("*.gz"))
    target = objects[0]
    data = bytearray(gzip.decompress(target.read_bytes()))
    data[len(data) // 2] ^= 0x01
    target.write_bytes(gzip.compress(bytes(data)))
    problems = _problems(populated)
    assert any(target.name[:-3] in p["where"] for p in problems)
    text = populated("verify", code=4).stdout
    assert "PROBLEM" in text and "FAILED" in text


def test_deleted_object_file_is_found(populated):
    target = sorted((populated.archive / "objects").rglob("*.gz"))[-1]
    target.unlink()
    assert any("missing" in p["what"] for p in _problems(populated))


def test_edited_observation_column_is_found(populated):
    with _db(populated) as db:
        db.execute(
            "UPDATE observations SET observed_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 1"
        )
    problems = _problems(populated)
    assert any(p["where"] == "observation 1" and "observed_at" in p["what"] for p in problems)


def test_edited_record_breaks_signature(populated):
    with _db(populated) as db:
        (record,) = db.execute("SELECT record FROM log WHERE seq = 2").fetchone()
        body = json.loads(record)
        body["http_status"] = 299
        edited = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        db.execute("UPDATE log SET record = ? WHERE seq = 2", [edited])
        db.execute("UPDATE observations SET http_status = 299 WHERE seq = 2")
    problems = _problems(populated)
    assert any(p["where"] == "observation 2" and "signature" in p["what"] for p in problems)


def test_deleted_log_entry_is_found(populated):
    with _db(populated) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DELETE FROM log WHERE seq = 1")
    problems = _problems(populated)
    assert any("missing" in p["what"] for p in problems)
    assert any("chain" in p["what"] for p in problems)
    assert any("no signed log entry" in p["what"] for p in problems)


def test_deleted_observation_row_is_found(populated):
    with _db(populated) as db:
        db.execute("DELETE FROM observations WHERE seq = 1")
    problems = _problems(populated)
    assert any(p["where"] == "observation 1" and "row" in p["what"] for p in problems)


def test_edited_version_row_is_found(populated):
    with _db(populated) as db:
        db.execute(
            "UPDATE versions SET last_seen = '2030-01-01T00:00:00.000000Z', observations = 9"
        )
    problems = _problems(populated)
    assert any("last_seen" in p["what"] for p in problems)
    assert any("observations" in p["what"] for p in problems)


def test_deleted_or_edited_change_is_found(populated):
    with _db(populated) as db:
        db.execute("UPDATE changes SET silent = 0, summary = 'nothing to see'")
    problems = _problems(populated)
    assert any("silent" in p["what"] for p in problems)
    assert any("summary" in p["what"] for p in problems)
    with _db(populated) as db:
        db.execute("DELETE FROM changes")
    assert any("missing" in p["what"] for p in _problems(populated))


def test_forged_version_row_is_found(populated):
    with _db(populated) as db:
        db.execute(
            "INSERT INTO versions VALUES ('http://x.example/', 1, ?, NULL, 'a', 'b', 1, 0, 0)",
            ["0" * 64],
        )
    assert any("no signed observation" in p["what"] for p in _problems(populated))


def test_garbage_in_tables_is_reported_not_fatal(populated):
    with _db(populated) as db:
        db.execute("UPDATE changes SET kinds = '{not json'")
        db.execute('UPDATE log SET record = \'{"seq":1,"outcome":"ok"}\' WHERE seq = 1')
    result = populated("verify", "--json", code=4)
    problems = json.loads(result.stdout)["problems"]
    assert any("kinds" in p["what"] for p in problems)
    assert any(p["where"] == "observation 1" for p in problems)
    assert "internal error" not in result.stderr
