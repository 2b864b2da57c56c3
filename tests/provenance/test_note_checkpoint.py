"""Signed notes, checkpoints and tlog proofs, checked against Go's published note vector."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provenance.checkpoint import Checkpoint, check_consistency, open_checkpoint, sign_checkpoint
from provenance.errors import FormatError, ProofError, SignatureError
from provenance.merkle import MemoryNodeStore, MerkleLog
from provenance.note import NoteSigner, NoteVerifier, open_note, sign_note
from provenance.tlogproof import TlogProof

# From golang.org/x/mod sumdb/note/note_test.go (BSD-3-Clause): TestSign and TestOpen.
PETER_SKEY_SEED = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
    "vqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOT"
    "GwnWLox33WWd1RvMc+QQ=\n"
)


def _peter() -> NoteSigner:
    seed = base64.b64decode(PETER_SKEY_SEED)[1:]
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


def test_go_note_vector_is_reproduced_byte_for_byte():
    signer = _peter()
    assert signer.verifier.vkey == PETER_VKEY
    assert sign_note(TEXT, [signer]) == TEXT + "\n" + PETER_SIG


def test_unknown_signatures_are_ignored_and_known_ones_checked():
    peter = NoteVerifier.from_vkey(PETER_VKEY)
    enoch = NoteVerifier.from_vkey(ENOCH_VKEY)
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    opened = open_note(note, [peter])
    assert opened.text == TEXT
    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert [s.name for s in opened.unverified] == ["EnochRoot"]
    assert len(open_note(note, [peter, enoch]).verified) == 2
    with pytest.raises(SignatureError, match="not signed by any key"):
        open_note(note, [])
    bad = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises((SignatureError, FormatError)):
        open_note(bad, [peter])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
        "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_notes_are_rejected(message):
    with pytest.raises((FormatError, SignatureError)):
        open_note(message, [NoteVerifier.from_vkey(PETER_VKEY)])


def test_every_one_byte_change_of_a_verifier_key_is_rejected():
    NoteVerifier.from_vkey(PETER_VKEY)
    raw = PETER_VKEY.encode()
    for i in range(len(raw)):
        mangled = bytearray(raw)
        mangled[i] = (mangled[i] + 1) % 128
        with pytest.raises(FormatError):
            NoteVerifier.from_vkey(mangled.decode("ascii", "replace"))


def _signed_log(n: int, origin: str = "example.org/readout-test"):
    key = Ed25519PrivateKey.generate()
    signer = NoteSigner(origin, key)
    log = MerkleLog(MemoryNodeStore())
    for i in range(n):
        log.append(f"record {i}".encode())
    return log, signer


def test_checkpoint_round_trip_and_every_byte_change_rejected():
    log, signer = _signed_log(7)
    checkpoint = Checkpoint(signer.name, 7, log.root())
    note = sign_checkpoint(checkpoint, [signer])
    assert note.startswith("example.org/readout-test\n7\n" + checkpoint.root_b64 + "\n\n\u2014 ")
    assert open_checkpoint(note, [signer.verifier], signer.name) == checkpoint
    data = note.encode()
    for i in range(len(data)):
        mangled = bytearray(data)
        mangled[i] ^= 0x01
        try:
            reopened = open_checkpoint(bytes(mangled), [signer.verifier], signer.name)
        except (FormatError, SignatureError):
            continue
        # A flip inside the signature line's name or hash can only make it unknown.
        pytest.fail(f"byte {i} changed and the checkpoint still opened: {reopened}")


def test_checkpoint_parsing_is_strict():
    root = base64.b64encode(bytes(32)).decode()
    for body in [
        f"o\n07\n{root}\n",
        f"o\n-1\n{root}\n",
        f"o\n7\n{root[:-4]}\n",
        f"\n7\n{root}\n",
        f"o\n7\n{root}",
        f"o\n7\n{root}\n\nextra\n",
    ]:
        with pytest.raises(FormatError):
            Checkpoint.parse(body)
    assert Checkpoint.parse(f"o\n0\n{root}\next\n").extensions == ("ext",)


def test_checkpoint_under_another_origin_or_cosigner_only_is_refused():
    log, signer = _signed_log(3)
    note = sign_checkpoint(Checkpoint(signer.name, 3, log.root()), [signer])
    with pytest.raises(FormatError, match="not 'other\\.example/log'"):
        open_checkpoint(note, [signer.verifier], "other.example/log")
    witness = NoteSigner("witness.example", Ed25519PrivateKey.generate())
    cosigned_only = sign_checkpoint(Checkpoint(signer.name, 3, log.root()), [witness])
    with pytest.raises(FormatError, match="own origin"):
        open_checkpoint(cosigned_only, [signer.verifier, witness.verifier])


def test_consistency_between_checkpoints_rollback_and_rewrite():
    log, signer = _signed_log(10)
    old = Checkpoint(signer.name, 6, log.root(6))
    new = Checkpoint(signer.name, 10, log.root())
    check_consistency(old, new, log.consistency_proof(6))
    with pytest.raises(ProofError, match="truncated"):
        check_consistency(new, old, [])
    with pytest.raises(ProofError, match="different roots"):
        check_consistency(old, Checkpoint(signer.name, 6, log.root(5)), [])
    with pytest.raises(ProofError, match="different logs"):
        check_consistency(old, Checkpoint("elsewhere", 10, log.root()), [])
    rewritten = MerkleLog(MemoryNodeStore())
    for i in range(10):
        rewritten.append(f"record {i}".encode() if i != 3 else b"record 3, edited")
    with pytest.raises(ProofError):
        check_consistency(
            old, Checkpoint(signer.name, 10, rewritten.root()), rewritten.consistency_proof(6)
        )


def test_tlog_proof_text_round_trip_and_checks():
    log, signer = _signed_log(13)
    note = sign_checkpoint(Checkpoint(signer.name, 13, log.root()), [signer])
    proof = TlogProof(9, tuple(log.inclusion_proof(9)), note)
    text = proof.text()
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 9\n")
    parsed = TlogProof.parse(text)
    assert parsed == proof
    assert parsed.verify(b"record 9", [signer.verifier], signer.name).size == 13
    with pytest.raises(ProofError):
        parsed.verify(b"record 8", [signer.verifier])
    with pytest.raises(FormatError):
        TlogProof.parse(text.replace("index 9", "index 09"))
    with pytest.raises(FormatError):
        TlogProof.parse(text.replace("c2sp.org/tlog-proof@v1", "tlog-proof"))
