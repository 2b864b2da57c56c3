"""Canonical encoding, keys, signed records and the chain."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance import keys, records
from provenance.canonical import canonical_json, parse_canonical
from provenance.errors import (
    ChainError,
    DigestMismatch,
    EncodingError,
    FormatError,
    KeyError_,
    SignatureError,
)
from provenance.hashing import check_digest, sha256_hex

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@given(json_values)
def test_canonical_round_trips(value):
    data = canonical_json(value)
    assert parse_canonical(data) == value
    assert canonical_json(json.loads(data)) == data


@given(st.dictionaries(st.text(max_size=5), st.integers(-1000, 1000), min_size=2, max_size=6))
def test_key_order_does_not_matter(mapping):
    reordered = dict(reversed(list(mapping.items())))
    assert canonical_json(mapping) == canonical_json(reordered)


def test_canonical_form_is_exact():
    assert (
        canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )


@pytest.mark.parametrize(
    "bad", [1.5, float("nan"), {1: "x"}, {"a": {1, 2}}, b"bytes", 2**60, "\ud800"]
)
def test_canonical_rejects_non_json(bad):
    with pytest.raises(EncodingError):
        canonical_json(bad)


@pytest.mark.parametrize(
    "text", [b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":1.0}', b"\xff", b'{"a":1}\n']
)
def test_parse_canonical_rejects_other_spellings(text):
    with pytest.raises(EncodingError):
        parse_canonical(text)


def test_digest_check():
    check_digest(b"abc", sha256_hex(b"abc"), "x")
    with pytest.raises(DigestMismatch):
        check_digest(b"abd", sha256_hex(b"abc"), "x")


def test_key_files_and_published_forms(tmp_path):
    private = keys.generate()
    path = tmp_path / "k.pem"
    keys.save_private_key(path, private, b"pw")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(KeyError_):
        keys.save_private_key(path, private, None)
    with pytest.raises(KeyError_, match="encrypted"):
        keys.load_private_key(path, None)
    with pytest.raises(KeyError_, match="does not open"):
        keys.load_private_key(path, b"wrong")
    loaded = keys.load_private_key(path, b"pw")
    public = keys.public_key(loaded)
    assert public == keys.public_key(private)
    for text in (public.b64, public.pem, public.openssh):
        assert keys.PublicKey.from_text(text) == public
    with pytest.raises(FormatError):
        keys.PublicKey.from_text("not a key")
    with pytest.raises(KeyError_, match="readout init"):
        keys.load_private_key(tmp_path / "missing.pem", None)


def test_fingerprint_matches_ssh_keygen(tmp_path):
    public = keys.public_key(keys.generate())
    line = tmp_path / "k.pub"
    line.write_text(public.openssh + "\n")
    try:
        out = subprocess.run(
            ["ssh-keygen", "-lf", str(line)], capture_output=True, text=True, check=True
        ).stdout
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("ssh-keygen is not installed")
    assert public.fingerprint in out


def _signed(seq, prev, private, pub, **extra):
    body = {"seq": seq, "prev": prev.sha256 if prev else None, "key_id": pub.key_id, **extra}
    return records.sign(body, private, pub.key_id)


def test_sign_verify_and_every_bit_flip_is_rejected():
    private = keys.generate()
    pub = keys.public_key(private)
    rec = _signed(0, None, private, pub, url="https://example.org/")
    ring = {pub.key_id: pub}
    records.verify_signature(rec, ring)
    for i in range(len(rec.data) * 8):
        data = bytearray(rec.data)
        data[i // 8] ^= 1 << (i % 8)
        flipped = records.SignedRecord(bytes(data), rec.signature, rec.key_id)
        with pytest.raises((SignatureError, EncodingError, FormatError)):
            records.verify_signature(flipped, ring)
    for i in range(0, 64 * 8, 7):
        sig = bytearray(rec.signature)
        sig[i // 8] ^= 1 << (i % 8)
        with pytest.raises(SignatureError):
            records.verify_signature(records.SignedRecord(rec.data, bytes(sig), rec.key_id), ring)


def test_signature_by_another_key_or_unknown_key_fails():
    a, b = keys.generate(), keys.generate()
    pa, pb = keys.public_key(a), keys.public_key(b)
    rec = _signed(0, None, a, pa)
    with pytest.raises(SignatureError, match="unknown key"):
        records.verify_signature(rec, {pb.key_id: pb})
    # the operator re-signs a record with a different key but files it under the old id
    body = rec.body()
    forged = records.SignedRecord(rec.data, b.sign(records.DOMAIN + rec.data), pa.key_id)
    with pytest.raises(SignatureError):
        records.verify_signature(forged, {pa.key_id: pa, pb.key_id: pb})
    assert body["key_id"] == pa.key_id


def test_signature_is_domain_separated():
    private = keys.generate()
    pub = keys.public_key(private)
    rec = _signed(0, None, private, pub)
    with pytest.raises(SignatureError):
        pub.verify(rec.signature, rec.data)  # not valid over the bare bytes


def test_chain_links():
    private = keys.generate()
    pub = keys.public_key(private)
    first = _signed(0, None, private, pub)
    second = _signed(1, first, private, pub)
    records.check_link(first.body(), None)
    records.check_link(second.body(), first)
    with pytest.raises(ChainError):
        records.check_link(second.body(), None)
    with pytest.raises(ChainError):
        records.check_link(first.body(), second)
    other = _signed(0, None, private, pub, url="x")
    with pytest.raises(ChainError):
        records.check_link(second.body(), other)


def test_sign_requires_key_id_field_and_signature_decoding():
    private = keys.generate()
    pub = keys.public_key(private)
    with pytest.raises(FormatError):
        records.sign({"seq": 0}, private, pub.key_id)
    with pytest.raises(FormatError):
        records.decode_signature("!!")
    with pytest.raises(FormatError):
        records.decode_signature(base64.b64encode(os.urandom(63)).decode())
