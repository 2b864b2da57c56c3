"""Every --json output and every signed record validates against its shipped schema."""

from __future__ import annotations

import copy
import json
import sqlite3

import jsonschema
import pytest
from support import noisy_page, sample_page
from tsa import make_pki

import schemas
from archive.localsite import Page


def _validator(name):
    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def outputs(initialised, serve, site, tmp_path):
    url = serve("/readout", sample_page("readout-v1.html"))
    bad = serve("/bad", b"", status=500)
    initialised("watch", "add", url, "--name", "Readout")
    result = {"init": initialised.json("init")}
    result["snapshot-1"] = initialised.json("snapshot", url, bad, code=3)
    kept = tmp_path / "kept.checkpoint"
    kept.write_text(initialised("log", "checkpoint").stdout)
    site.pages["/readout"] = Page(sample_page("readout-v2.html"))
    result["snapshot-2"] = initialised.json("snapshot", url)
    result["history"] = initialised.json("history", url)
    result["diff"] = json.loads(initialised("diff", url, "--format", "json").stdout)
    result["changes"] = initialised.json("changes")
    result["verify"] = initialised.json("verify")
    result["watch-list"] = initialised.json("watch", "list")
    result["checkpoint"] = initialised.json("log", "checkpoint")
    result["prove"] = initialised.json("log", "prove", "1")
    result["consistency"] = initialised.json("log", "consistency", str(kept))
    result["key-rotate"] = initialised.json("key", "rotate")
    result["checkpoints"] = initialised.json("log", "checkpoints")
    result["keys"] = initialised.json("key", "show")
    with sqlite3.connect(initialised.archive / "readout.db") as db:
        rows = db.execute("SELECT kind, record FROM log ORDER BY seq").fetchall()
    result["records"] = [json.loads(r) for kind, r in rows if kind == "observation"]
    result["key-rotation"] = next(json.loads(r) for kind, r in rows if kind == "key-rotation")
    result["observation"] = result["records"][0]
    bundle = tmp_path / "bundle"
    result["export"] = initialised.json("export", "--out", str(bundle))
    result["verify-bundle"] = initialised.json("verify-bundle", str(bundle))
    result["manifest"] = json.loads((bundle / "manifest.json").read_text())
    for name, file in [
        ("bundle-entry", "observations.jsonl"),
        ("bundle-change", "changes.jsonl"),
        ("bundle-version", "versions.jsonl"),
    ]:
        result[name] = json.loads((bundle / file).read_text().splitlines()[0])
    result["report"] = initialised.json("report", "--out", str(tmp_path / "site"))
    root, _ = make_pki(tmp_path / "pki")
    initialised("tsa", "set", "http://127.0.0.1:9/tsr", "--root", str(root))
    result["tsa"] = initialised.json("tsa", "show")
    result["timestamp-results"] = initialised.json("log", "timestamp", code=1)
    return result


@pytest.mark.parametrize(
    ("key", "schema"),
    [
        ("init", "init"),
        ("snapshot-1", "snapshot"),
        ("snapshot-2", "snapshot"),
        ("history", "history"),
        ("diff", "diff"),
        ("changes", "changes"),
        ("verify", "verify"),
        ("watch-list", "watch-list"),
        ("checkpoint", "checkpoint"),
        ("checkpoints", "checkpoints"),
        ("prove", "prove"),
        ("consistency", "consistency"),
        ("keys", "keys"),
        ("key-rotate", "key-rotate"),
        ("key-rotation", "key-rotation"),
        ("export", "export"),
        ("verify-bundle", "verify-bundle"),
        ("manifest", "manifest"),
        ("bundle-entry", "bundle-entry"),
        ("bundle-change", "bundle-change"),
        ("bundle-version", "bundle-version"),
        ("report", "report"),
        ("tsa", "tsa"),
        ("timestamp-results", "timestamp-results"),
        ("observation", "observation"),
    ],
)
def test_cli_output_validates(outputs, key, schema):
    _validator(schema).validate(outputs[key])


def test_every_signed_record_validates(outputs):
    validator = _validator("observation")
    assert {r["outcome"] for r in outputs["records"]} == {"ok", "failed"}
    assert any(r["change"] for r in outputs["records"])
    for record in outputs["records"]:
        validator.validate(record)


MUTATIONS = {
    "snapshot-2": lambda v: v[0].update(status="edited"),
    "history": lambda v: v["versions"][0].update(text_sha256="xyz"),
    "diff": lambda v: v["ops"].append(["replace", "a"]),
    "changes": lambda v: v[0].update(kinds=["spelling"]),
    "verify": lambda v: v.pop("ok"),
    "watch-list": lambda v: v[0].update(every_seconds=0),
    "init": lambda v: v.update(fingerprint="MD5:aa"),
    "checkpoint": lambda v: v.update(root_hash="AAAA"),
    "checkpoints": lambda v: v[0].update(size=0),
    "prove": lambda v: v["proof"].append("not base64 of 32 bytes"),
    "consistency": lambda v: v.pop("checkpoint"),
    "keys": lambda v: v[0].update(status="lost"),
    "key-rotate": lambda v: v.update(new_key_id="XYZ"),
    "key-rotation": lambda v: v.update(schema="readout.key-rotation/2"),
    "export": lambda v: v.update(records=0),
    "verify-bundle": lambda v: v.update(notes="none"),
    "manifest": lambda v: v.update(format="readout-bundle/2"),
    "bundle-entry": lambda v: v.update(inclusion_proof=["AAAA"]),
    "bundle-change": lambda v: v.update(to_version=1),
    "bundle-version": lambda v: v.update(text_sha256="00"),
    "report": lambda v: v.pop("changes"),
    "tsa": lambda v: v.update(url=7),
    "timestamp-results": lambda v: v[0].update(ok="no"),
    "observation": lambda v: v.update(outcome="maybe"),
}


def test_every_schema_has_a_real_example_and_a_mutation_it_rejects():
    examples = {key for key in MUTATIONS if key not in {"snapshot-2"}} | {"snapshot"}
    assert set(schemas.NAMES) == examples


@pytest.mark.parametrize("key", sorted(MUTATIONS))
def test_mutated_output_is_rejected(outputs, key):
    schema = {"snapshot-2": "snapshot"}.get(key, key)
    value = copy.deepcopy(outputs[key])
    MUTATIONS[key](value)
    with pytest.raises(jsonschema.ValidationError):
        _validator(schema).validate(value)


def test_mutated_record_is_rejected(outputs):
    validator = _validator("observation")
    failed = next(r for r in outputs["records"] if r["outcome"] == "failed")
    bad = {**failed, "version": 3}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(bad)
    ok = next(r for r in outputs["records"] if r["outcome"] == "ok")
    for mutation in ({"observed_at": "2025-06-04 10:00"}, {"extra": 1}, {"seq": -1}):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate({**ok, **mutation})


def test_schemas_load_by_name():
    assert set(schemas.NAMES) >= {"observation", "snapshot", "changes"}
    with pytest.raises(KeyError):
        schemas.load("nope")
    assert noisy_page(seed=1)  # the helper module is importable from here too
