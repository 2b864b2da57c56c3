"""Audit bundles through the CLI: export, verify offline, and every kind of tampering found."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from support import noisy_page, sample_page
from tsa import LocalTSA

import schemas
from archive.localsite import Page
from provenance.hashing import sha256_hex

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def edited(initialised, serve, site):
    """The seed readout edited silently, and a second page, over three runs."""
    url = serve("/readout", sample_page("readout-v1.html"))
    other = serve("/other", noisy_page(seed=2))
    initialised("snapshot", url, other)
    site.pages["/readout"] = Page(sample_page("readout-v2.html"))
    initialised("snapshot", url, other)
    initialised("snapshot", url, other)
    return initialised, url, other


def _export(runner, out, *args, code=0):
    return runner("export", "--out", str(out), *args, code=code)


def _verify(runner, path, *args, code=0):
    return json.loads(runner("verify-bundle", str(path), "--json", *args, code=code).stdout)


def _wheres(report):
    return {p["where"] for p in report["problems"]}


def test_a_bundle_verifies_and_says_what_it_holds(edited, tmp_path):
    readout, url, _other = edited
    out = tmp_path / "bundle"
    _export(readout, out)
    report = _verify(readout, out)
    jsonschema.validate(report, schemas.load("verify-bundle"))
    assert report["ok"], report
    assert report["checked"]["records"] == 6 and report["checked"]["changes"] == 1
    manifest = json.loads((out / "manifest.json").read_text())
    jsonschema.validate(manifest, schemas.load("manifest"))
    assert manifest["selection"]["left_out"] == "nothing"
    assert manifest["checkpoint"]["size"] == 6
    assert set(manifest["files"]) >= {
        "observations.jsonl",
        "changes.jsonl",
        "changes.csv",
        "versions.jsonl",
        "checkpoint.txt",
        "README.txt",
    }
    rows = list(csv.DictReader(io.StringIO((out / "changes.csv").read_text())))
    assert rows == [
        {
            "id": "1",
            "url": url,
            "from_version": "1",
            "to_version": "2",
            "not_before": rows[0]["not_before"],
            "detected_at": rows[0]["detected_at"],
            "silent": "true",
            "kinds": "name",
            "summary": rows[0]["summary"],
            "seq": "2",
        }
    ]
    assert "former US President" in rows[0]["summary"]
    assert "verify-bundle" in (out / "README.txt").read_text()


def test_the_verifier_runs_without_httpx_the_extractor_or_the_archive(edited, tmp_path):
    readout, _url, _other = edited
    out = tmp_path / "bundle.zip"
    _export(readout, out)
    blocked = [
        "httpx",
        "trafilatura",
        "lxml",
        "click",
        "sqlite_utils",
        "archive",
        "charset_normalizer",
    ]
    code = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "from provenance.__main__ import main\n"
        f"sys.exit(main(['verify-bundle', {str(out)!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("OK: checked")


def _flip(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    position = len(data) // 2 if offset is None else offset
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def test_one_byte_changed_in_any_file_is_found_and_named(edited, tmp_path):
    readout, _url, _other = edited
    clean = tmp_path / "clean"
    _export(readout, clean)
    names = sorted(p.relative_to(clean).as_posix() for p in clean.rglob("*") if p.is_file())
    assert any(n.startswith("objects/") for n in names)
    for name in names:
        copy = tmp_path / f"tampered-{name.replace('/', '_')}"
        shutil.copytree(clean, copy)
        _flip(copy / name)
        report = _verify(readout, copy, code=4)
        assert report["problems"], name
        named = " ".join(p["where"] for p in report["problems"])
        if name == "manifest.json":
            assert "manifest" in named
        else:
            assert name in named, (name, report["problems"])


def test_a_missing_file_is_found(edited, tmp_path):
    readout, _url, _other = edited
    clean = tmp_path / "clean"
    _export(readout, clean)
    for name in ["changes.csv", "versions.jsonl", "checkpoint.txt", "manifest.sig"]:
        copy = tmp_path / f"without-{name}"
        shutil.copytree(clean, copy)
        (copy / name).unlink()
        report = _verify(readout, copy, code=4)
        assert any(name in p["where"] or name in p["what"] for p in report["problems"]), name


def _rehash(bundle: Path, name: str) -> None:
    """What a careless forger does: fix the manifest's hash (but cannot re-sign it)."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][name] = sha256_hex((bundle / name).read_bytes())
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2))


def test_a_removed_record_is_found(edited, tmp_path):
    readout, _url, _other = edited
    out = tmp_path / "b"
    _export(readout, out)
    lines = (out / "observations.jsonl").read_text().splitlines(keepends=True)
    (out / "observations.jsonl").write_text("".join(lines[:2] + lines[3:]))
    _rehash(out, "observations.jsonl")
    report = _verify(readout, out, code=4)
    text = json.dumps(report["problems"])
    assert "manifest.sig" in _wheres(report)
    assert "5 check out" in text  # the manifest said 6 were selected


def test_a_record_from_another_archive_is_found(edited, tmp_path, serve):
    readout, _url, _other = edited
    stranger = type(readout)(tmp_path / "stranger", readout.env)
    stranger("init")
    stranger("snapshot", serve("/x", noisy_page(seed=7)))
    theirs = tmp_path / "theirs"
    _export(stranger, theirs)
    ours = tmp_path / "ours"
    _export(readout, ours)
    foreign = (theirs / "observations.jsonl").read_text()
    with (ours / "observations.jsonl").open("a") as handle:
        handle.write(foreign)
    report = _verify(readout, ours, code=4)
    assert "observations.jsonl line 7" in _wheres(report)
    line7 = next(p for p in report["problems"] if p["where"] == "observations.jsonl line 7")
    assert "unknown key" in line7["what"]


def test_an_edited_manifest_is_found(edited, tmp_path):
    readout, _url, _other = edited
    out = tmp_path / "b"
    _export(readout, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["selection"]["left_out"] = "nothing at all, honestly"
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    report = _verify(readout, out, code=4)
    assert _wheres(report) == {"manifest.sig"}


def test_a_checkpoint_swapped_for_an_older_one_is_found(edited, tmp_path, serve):
    readout, url, other = edited
    old = tmp_path / "old"
    _export(readout, old)
    readout("snapshot", url, other)
    new = tmp_path / "new"
    _export(readout, new)
    shutil.copy(old / "checkpoint.txt", new / "checkpoint.txt")
    _rehash(new, "checkpoint.txt")
    report = _verify(readout, new, code=4)
    wheres = _wheres(report)
    assert "checkpoint.txt" in wheres  # the manifest names the newer one
    assert any(w.startswith("observations.jsonl line") for w in wheres)  # proofs fail


def test_a_selection_verifies_against_the_full_log(edited, tmp_path):
    readout, url, _other = edited
    out = tmp_path / "one-page.zip"
    written = json.loads(_export(readout, out, "--url", url, "--json").stdout)
    jsonschema.validate(written, schemas.load("export"))
    assert written["records"] == 3 and written["records_in_log"] == 6
    assert zipfile.is_zipfile(out)
    report = _verify(readout, out)
    assert report["ok"] and report["checked"]["records"] == 3
    with zipfile.ZipFile(out) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        lines = [json.loads(line) for line in bundle.read("observations.jsonl").splitlines()]
    assert manifest["checkpoint"]["size"] == 6
    assert manifest["selection"]["records_in_log"] == 6
    assert manifest["selection"]["left_out"].startswith("3 of 6 records: observations of other")
    assert [line["seq"] for line in lines] == [0, 2, 4]
    assert (
        "nothing was selected"
        in _export(readout, tmp_path / "later", "--since", "2999-01-01", code=2).stderr
    )
    assert not (tmp_path / "later").exists()


def test_pinning_a_key(edited, tmp_path):
    readout, _url, _other = edited
    out = tmp_path / "b"
    _export(readout, out)
    key = readout.json("key", "show")[0]
    mine = tmp_path / "archive.pub"
    mine.write_text(key["openssh"] + "\n")
    report = _verify(readout, out, "--pubkey", str(mine))
    assert report["ok"] and any("pinned key" in n for n in report["notes"])
    readout("key", "rotate")
    rotated = tmp_path / "rotated"
    _export(readout, rotated)
    assert _verify(readout, rotated, "--pubkey", str(mine))["ok"]  # old key pinned, followed
    new_key = tmp_path / "new.pub"
    new_key.write_text(readout.json("key", "show")[1]["public_key"])
    assert _verify(readout, rotated, "--pubkey", str(new_key))["ok"]  # and backwards
    stranger = tmp_path / "stranger.pub"
    stranger.write_text(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOs7cXIH2OZFgrDoM5x/T908tKjBVxoT1jWipksA9uPI"
    )
    report = _verify(readout, out, "--pubkey", str(stranger), code=4)
    assert "not among the bundle's keys" in report["problems"][0]["what"]


def test_export_refuses_what_it_cannot_do_cleanly(initialised, edited, tmp_path):
    readout, url, _other = edited
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    assert "not empty" in _export(readout, full, code=2).stderr
    assert (full / "keep.txt").read_text() == "mine" and len(list(full.iterdir())) == 1
    assert (
        "nothing was selected"
        in _export(readout, tmp_path / "x", "--url", url + "?nope", code=2).stderr
    )
    assert not (tmp_path / "x").exists()
    fresh = type(readout)(tmp_path / "fresh", readout.env)
    fresh("init")
    assert "no checkpoint yet" in _export(fresh, tmp_path / "y", code=1).stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_a_bundle_carries_the_checkpoint_timestamp(readout, serve, tmp_path):
    with LocalTSA(tmp_path / "tsa") as tsa:
        readout("init", "--tsa", tsa.url, "--tsa-root", str(tsa.root))
        readout("snapshot", serve("/p", noisy_page(seed=3)))
    out = tmp_path / "b"
    _export(readout, out)
    report = _verify(readout, out)
    assert report["ok"] and report["checked"]["timestamp"] == 1
    _flip(out / "checkpoint.tsr", len((out / "checkpoint.tsr").read_bytes()) - 20)
    _rehash(out, "checkpoint.tsr")
    assert "checkpoint.tsr" in _wheres(_verify(readout, out, code=4))


def test_every_bundle_file_validates_and_a_mutated_one_does_not(edited, tmp_path):
    readout, _url, _other = edited
    out = tmp_path / "b"
    _export(readout, out)

    def lines(name):
        return [json.loads(x) for x in (out / name).read_text().splitlines()]

    examples = {
        "manifest": (
            json.loads((out / "manifest.json").read_text()),
            lambda v: v["files"].update({"x": "not a hash"}),
        ),
        "bundle-entry": (lines("observations.jsonl")[0], lambda v: v.update(kind="gossip")),
        "bundle-change": (lines("changes.jsonl")[0], lambda v: v.update(silent="yes")),
        "bundle-version": (lines("versions.jsonl")[0], lambda v: v.update(observations=0)),
    }
    for name, (example, mutate) in examples.items():
        validator = jsonschema.Draft202012Validator(schemas.load(name))
        validator.validate(example)
        mutate(example)
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(example)
