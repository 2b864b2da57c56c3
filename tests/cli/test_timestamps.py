"""RFC 3161 timestamps through the CLI, against a real OpenSSL TSA on 127.0.0.1."""

from __future__ import annotations

import base64
import shutil
import sqlite3

import jsonschema
import pytest
from support import noisy_page
from tsa import LocalTSA, make_pki

import schemas
from archive.localsite import Page

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


@pytest.fixture
def tsa(tmp_path):
    with LocalTSA(tmp_path / "tsa") as server:
        yield server


@pytest.fixture
def stamped(readout, tsa):
    readout("init", "--tsa", tsa.url, "--tsa-root", str(tsa.root))
    return readout


def _tokens(runner):
    with sqlite3.connect(runner.archive / "readout.db") as db:
        return db.execute("SELECT checkpoint_size, token FROM timestamps ORDER BY 1").fetchall()


def test_each_checkpoint_gets_a_verified_token(stamped, tsa, serve):
    url = serve("/p", noisy_page(seed=1))
    stamped("snapshot", url)
    stamped("snapshot", url)
    listing = stamped.json("log", "checkpoints")
    assert [c["size"] for c in listing] == [1, 2]
    assert all(c["timestamp"]["tsa_url"] == tsa.url for c in listing)
    assert tsa.requests == 2
    report = stamped.json("verify")
    assert report["ok"] and report["checked"]["timestamps"] == 2
    assert stamped.json("tsa", "show") == {"url": tsa.url}


def test_a_tampered_or_swapped_token_is_found(stamped, serve):
    url = serve("/p", noisy_page(seed=1))
    stamped("snapshot", url)
    stamped("snapshot", url)
    (one, token1), (two, _token2) = _tokens(stamped)
    raw = bytearray(base64.b64decode(token1))
    raw[-12] ^= 0x40
    with sqlite3.connect(stamped.archive / "readout.db") as db:
        db.execute(
            "UPDATE timestamps SET token = ? WHERE checkpoint_size = ?",
            [base64.b64encode(bytes(raw)).decode(), one],
        )
        # checkpoint 1's token filed under checkpoint 2: a token for another message
        db.execute("UPDATE timestamps SET token = ? WHERE checkpoint_size = ?", [token1, two])
    problems = stamped.json("verify", code=4)["problems"]
    assert {p["where"] for p in problems} == {
        "timestamp of checkpoint 1",
        "timestamp of checkpoint 2",
    }
    assert any("Mismatch between messages" in p["what"] for p in problems)


@pytest.mark.parametrize("mode", ["down", "error", "garbage"])
def test_a_failing_tsa_never_stops_a_run_and_is_retried(stamped, tsa, serve, site, mode):
    url = serve("/p", noisy_page(seed=1))
    if mode == "down":
        tsa.server.server_close()  # nothing listens on the port any more
    else:
        tsa.mode = mode
    result = stamped("snapshot", url, "--json")
    assert "no timestamp for checkpoint 1 yet" in result.stderr
    listing = stamped.json("log", "checkpoints")
    assert listing[0]["timestamp"] is None and listing[0]["timestamp_error"]
    assert stamped.json("verify")["ok"]  # a missing token is not a broken archive
    if mode == "down":
        return  # (the closed server cannot come back; the retry is covered below)
    tsa.mode = "ok"
    site.pages["/p"] = Page(noisy_page(seed=1, topic="revised"))
    stamped("snapshot", url)
    listing = stamped.json("log", "checkpoints")
    assert [c["timestamp"] is not None for c in listing] == [True, True]
    assert stamped.json("verify")["checked"]["timestamps"] == 2


def test_log_timestamp_retries_on_demand(stamped, tsa, serve):
    url = serve("/p", noisy_page(seed=1))
    tsa.mode = "error"
    stamped("snapshot", url)
    out = stamped.json("log", "timestamp", code=1)
    jsonschema.validate(out, schemas.load("timestamp-results"))
    assert out[0]["ok"] is False and "503" in out[0]["error"]
    tsa.mode = "ok"
    assert stamped.json("log", "timestamp")[0]["ok"] is True
    assert "already has a timestamp" in stamped("log", "timestamp").stdout


def test_tsa_settings_need_a_root_and_an_http_url(initialised, tsa, tmp_path):
    fresh = type(initialised)(tmp_path / "fresh", initialised.env)
    assert "--tsa-root" in fresh("init", "--tsa", tsa.url, code=2).stderr
    assert not (tmp_path / "fresh").exists()  # nothing half-made
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello")
    assert (
        "no readable PEM" in initialised("tsa", "set", tsa.url, "--root", str(bad), code=2).stderr
    )
    assert "http" in initialised("tsa", "set", "ftp://x", "--root", str(tsa.root), code=2).stderr
    assert (
        "already exists"
        in initialised("init", "--tsa", tsa.url, "--tsa-root", str(tsa.root), code=2).stderr
    )
    initialised("tsa", "set", tsa.url, "--root", str(tsa.root))
    assert initialised.json("tsa", "show") == {"url": tsa.url}
    initialised("tsa", "off")
    assert initialised.json("tsa", "show") == {"url": None}


def test_tokens_under_a_root_nobody_configured_are_refused(stamped, tsa, serve, tmp_path):
    url = serve("/p", noisy_page(seed=1))
    stamped("snapshot", url)
    other_root, _ = make_pki(tmp_path / "other", name="another CA")
    with sqlite3.connect(stamped.archive / "readout.db") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'tsa_roots'", [other_root.read_text()])
    problems = stamped.json("verify", code=4)["problems"]
    assert problems[0]["where"] == "timestamp of checkpoint 1"
