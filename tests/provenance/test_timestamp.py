"""RFC 3161 tokens from a real OpenSSL TSA: issue, verify, and refuse what does not match."""

from __future__ import annotations

import shutil

import pytest
from tsa import make_pki, openssl_reply

from provenance.errors import TimestampError
from provenance.timestamp import load_certificates, make_request, verify_token

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

NOTE = b"readout/test\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 sig\n"


@pytest.fixture
def pki(tmp_path):
    root, _cert = make_pki(tmp_path / "tsa")
    return tmp_path / "tsa", load_certificates(root.read_bytes())


def test_a_token_from_openssl_verifies_for_its_message(pki):
    directory, roots = pki
    request = make_request(NOTE)
    token = openssl_reply(directory, request.as_bytes())
    info = verify_token(token, NOTE, roots, request=request)
    assert info.policy == "1.2.3.4.1" and info.serial_number >= 1
    assert verify_token(token, NOTE, roots).gen_time == info.gen_time


def test_a_token_for_another_message_or_request_is_refused(pki):
    directory, roots = pki
    request = make_request(NOTE)
    token = openssl_reply(directory, request.as_bytes())
    with pytest.raises(TimestampError, match="Mismatch between messages"):
        verify_token(token, NOTE + b"x", roots)
    other = make_request(NOTE)  # a fresh nonce
    with pytest.raises(TimestampError, match="Nonce"):
        verify_token(token, NOTE, roots, request=other)


def test_a_tampered_token_is_refused(pki):
    directory, roots = pki
    token = bytearray(openssl_reply(directory, make_request(NOTE).as_bytes()))
    token[-10] ^= 0x01  # inside the signature
    with pytest.raises(TimestampError):
        verify_token(bytes(token), NOTE, roots)
    with pytest.raises(TimestampError, match="not a readable"):
        verify_token(b"\x30\x03\x02\x01\x00garbage", NOTE, roots)


def test_a_token_under_another_root_is_refused(pki, tmp_path):
    directory, _roots = pki
    other_root, _ = make_pki(tmp_path / "other", name="someone else")
    token = openssl_reply(directory, make_request(NOTE).as_bytes())
    with pytest.raises(TimestampError):
        verify_token(token, NOTE, load_certificates(other_root.read_bytes()))
    with pytest.raises(TimestampError, match="no TSA root"):
        verify_token(token, NOTE, [])
