"""WARC export and import through the CLI, checked with warcio itself."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jsonschema
import pytest
from support import noisy_page, sample_page
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import schemas
from archive.localsite import Page


@pytest.fixture
def edited(initialised, serve, site):
    url = serve("/readout", sample_page("readout-v1.html"))
    initialised("snapshot", url)
    site.pages["/readout"] = Page(sample_page("readout-v2.html"))
    initialised("snapshot", url)
    initialised("snapshot", serve("/gone", b"", status=404), code=3)
    return initialised, url


def _records(path: Path) -> list:
    out = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests="raise"):
            out.append(
                (
                    record.rec_type,
                    dict(record.rec_headers.headers),
                    record.http_headers,
                    record.content_stream().read(),
                )
            )
    return out


def test_warc_export_passes_warcio_check_and_reads_back(edited, tmp_path):
    readout, url = edited
    out = tmp_path / "readout.warc.gz"
    summary = json.loads(readout("export", "--format", "warc", "--out", str(out), "--json").stdout)
    assert summary == {"path": str(out), "observations": 2, "warc_records": 7}
    jsonschema.validate(summary, schemas.load("export"))
    warcio = Path(sys.executable).parent / "warcio"
    check = subprocess.run([str(warcio), "check", "-v", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") >= 6
    records = _records(out)
    assert [r[0] for r in records] == ["warcinfo"] + ["request", "response", "metadata"] * 2
    with sqlite3.connect(readout.archive / "readout.db") as db:
        log = {seq: sha for seq, sha in db.execute("SELECT seq, record_sha256 FROM log")}
    for index in (2, 5):
        _, request_headers, request_http, _ = records[index - 1]
        _, response_headers, http, payload = records[index]
        _, meta_headers, _, meta = records[index + 1]
        info = json.loads(meta)["readout"]
        assert response_headers["WARC-Target-URI"] == url
        assert http.get_statuscode() == "200"
        assert hashlib.sha256(payload).hexdigest() == info["content_sha256"]
        sha1 = base64.b32encode(hashlib.sha1(payload).digest()).decode()
        assert response_headers["WARC-Payload-Digest"] == f"sha1:{sha1}"
        assert request_headers["WARC-Concurrent-To"] == response_headers["WARC-Record-ID"]
        assert request_http.protocol == "GET"
        assert meta_headers["WARC-Refers-To"] == response_headers["WARC-Record-ID"]
        assert log[info["log_index"]] == info["record_sha256"]
    assert b"former US President" in records[2][3] and b"former" not in records[5][3]


def test_a_one_word_change_in_a_warc_body_is_caught(edited, tmp_path):
    readout, _url = edited
    out = tmp_path / "plain.warc"
    readout("export", "--format", "warc", "--out", str(out))
    data = out.read_bytes()
    assert data.count(b"former US President") == 1
    out.write_bytes(data.replace(b"former US President", b"formal US President"))
    with pytest.raises(ArchiveLoadFailed):
        _records(out)
    imported = type(readout)(tmp_path / "other", readout.env)
    imported("init")
    assert "not a readable WARC" in imported("import", "warc", str(out), code=1).stderr


def test_importing_our_own_warc_finds_the_silent_edit_again(edited, tmp_path):
    readout, url = edited
    out = tmp_path / "readout.warc.gz"
    readout("export", "--format", "warc", "--out", str(out))
    other = type(readout)(tmp_path / "other", readout.env)
    other("init")
    result = other.json("import", "warc", str(out))
    assert [o["status"] for o in result] == ["new", "changed"]
    change = other.json("changes")[0]
    assert change["silent"] is True and "former US President" in change["summary"]
    assert other.json("verify")["ok"]
    with sqlite3.connect(other.archive / "readout.db") as db:
        records = [json.loads(r) for (r,) in db.execute("SELECT record FROM log ORDER BY seq")]
    validator = jsonschema.Draft202012Validator(schemas.load("observation"))
    for record in records:
        validator.validate(record)
        assert record["imported"]["source"] == "warc"
        assert record["imported"]["observed_by"].startswith("readout/")
        assert record["imported"]["file"] == "readout.warc.gz"
    original = readout.json("history", url)["versions"]
    assert [r["observed_at"] for r in records] == [v["first_seen"] for v in original]


def _foreign_warc(path: Path, captures: list[tuple[str, str, int, bytes]]) -> None:
    """A WARC as another archiver would write it (warcinfo names its software)."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "Wget/1.21.3"}))
        for url, date, status, body in captures:
            headers = StatusAndHeaders(
                f"{status} X", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(record)


def test_importing_another_archivers_warc(initialised, tmp_path):
    path = tmp_path / "crawl.warc.gz"
    url = "https://example.gov/readout"
    _foreign_warc(
        path,
        [
            (url, "2025-06-06T08:00:00Z", 200, sample_page("readout-v2.html")),
            (url, "2025-06-04T18:00:00Z", 200, sample_page("readout-v1.html")),
            ("https://example.gov/missing", "2025-06-05T00:00:00Z", 404, b"not here"),
        ],
    )
    out = initialised.json("import", "warc", str(path))
    assert [(o["observed_at"], o["status"]) for o in out] == [
        ("2025-06-04T18:00:00.000000Z", "new"),
        ("2025-06-05T00:00:00.000000Z", "failed"),
        ("2025-06-06T08:00:00.000000Z", "changed"),
    ]
    change = initialised.json("changes")[0]
    assert (change["not_before"], change["detected_at"]) == (
        "2025-06-04T18:00:00.000000Z",
        "2025-06-06T08:00:00.000000Z",
    )
    with sqlite3.connect(initialised.archive / "readout.db") as db:
        (record,) = db.execute("SELECT record FROM log WHERE seq = 0").fetchone()
    assert json.loads(record)["imported"]["observed_by"] == "Wget/1.21.3"
    assert initialised.json("verify")["ok"]


def test_import_refuses_files_that_are_not_warcs(initialised, tmp_path):
    junk = tmp_path / "junk.warc"
    junk.write_bytes(noisy_page(seed=1))
    assert "not a readable WARC" in initialised("import", "warc", str(junk), code=1).stderr
    empty = tmp_path / "empty.warc.gz"
    _foreign_warc(empty, [])
    assert "no HTTP response" in initialised("import", "warc", str(empty), code=2).stderr
    assert initialised.json("verify")["checked"].get("log_entries", 0) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not (Path(sys.executable).parent / "wayback").exists(), reason="needs pywb")
def test_the_exported_warc_replays_in_pywb(initialised, serve, site, tmp_path):
    readout = initialised
    url = serve("/readout", sample_page("readout-v1.html"))
    readout("snapshot", url)
    time.sleep(1.1)  # replay addresses captures to the second
    site.pages["/readout"] = Page(sample_page("readout-v2.html"))
    readout("snapshot", url)
    out = tmp_path / "readout.warc.gz"
    readout("export", "--format", "warc", "--out", str(out))
    bin_dir = Path(sys.executable).parent
    home = tmp_path / "pywb"
    home.mkdir()
    for args in (["init", "readout"], ["add", "readout", str(out)]):
        subprocess.run(
            [str(bin_dir / "wb-manager"), *args], cwd=home, check=True, capture_output=True
        )
    port = _free_port()
    server = subprocess.Popen(
        [str(bin_dir / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/readout"
        with httpx.Client(timeout=10) as client:
            for _ in range(100):
                try:
                    client.get(f"http://127.0.0.1:{port}/")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            with sqlite3.connect(readout.archive / "readout.db") as db:
                rows = db.execute(
                    "SELECT observed_at, content_sha256 FROM observations "
                    "WHERE outcome = 'ok' ORDER BY seq"
                ).fetchall()
            for observed_at, content_sha in rows:
                stamp = re.sub(r"\D", "", observed_at)[:14]
                original = client.get(f"{base}/{stamp}id_/{url}")
                assert original.status_code == 200
                assert hashlib.sha256(original.content).hexdigest() == content_sha
                replayed = client.get(f"{base}/{stamp}mp_/{url}")  # the framed page itself
                assert replayed.status_code == 200 and "Donald Trump" in replayed.text
            assert len(rows) == 2
    finally:
        server.terminate()
        server.wait(timeout=10)
