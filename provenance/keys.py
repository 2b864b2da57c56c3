"""Ed25519 keys: generation, storage, and the forms outsiders can check them in.

The private key is PKCS#8 PEM, encrypted with ``BestAvailableEncryption`` when a
passphrase is given, and written with mode 0600 from the first byte (``os.open``
with ``O_EXCL``, never chmod after the fact). The public key is published as
raw base64, PEM, an OpenSSH ``ssh-ed25519`` line, and a fingerprint that
``ssh-keygen -lf`` prints for that line.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from provenance.errors import FormatError, KeyError_, SignatureError


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key in its raw 32-byte form, with its published names."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise FormatError("an Ed25519 public key is 32 bytes; this one is not.")

    @property
    def key_id(self) -> str:
        """First 16 hex digits of SHA-256(raw key): short to print, long enough to be unique."""
        return hashlib.sha256(self.raw).hexdigest()[:16]

    @property
    def b64(self) -> str:
        """Standard base64 of the raw key."""
        return base64.b64encode(self.raw).decode("ascii")

    @property
    def openssh(self) -> str:
        """The ``ssh-ed25519 AAAA...`` line, for ``ssh-keygen -Y verify`` and ``-lf``."""
        return (
            self._crypto()
            .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
            .decode("ascii")
        )

    @property
    def fingerprint(self) -> str:
        """OpenSSH-style ``SHA256:...`` fingerprint; ``ssh-keygen -lf`` shows the same."""
        blob = base64.b64decode(self.openssh.split()[1])
        return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")

    @property
    def pem(self) -> str:
        """SubjectPublicKeyInfo PEM, for ``openssl pkeyutl -verify``."""
        return (
            self._crypto()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    def _crypto(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.raw)

    def verify(self, signature: bytes, message: bytes) -> None:
        """Raise SignatureError unless ``signature`` is this key's signature of ``message``."""
        try:
            self._crypto().verify(signature, message)
        except InvalidSignature as exc:
            raise SignatureError(f"the signature does not verify under key {self.key_id}.") from exc

    @classmethod
    def from_b64(cls, text: str) -> PublicKey:
        """Parse standard base64 of a raw key (as stored in the archive)."""
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except ValueError as exc:
            raise FormatError("the public key is not valid base64.") from exc
        return cls(raw)

    @classmethod
    def from_text(cls, text: str) -> PublicKey:
        """Parse any published form: raw base64, PEM, or an ``ssh-ed25519`` line."""
        text = text.strip()
        try:
            if text.startswith("-----BEGIN"):
                key = serialization.load_pem_public_key(text.encode())
            elif text.startswith("ssh-ed25519 "):
                key = serialization.load_ssh_public_key(text.encode())
            else:
                return cls.from_b64(text)
        except ValueError as exc:
            raise FormatError("the public key file is not a PEM, OpenSSH or base64 key.") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise FormatError("the public key is not an Ed25519 key.")
        return cls(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def generate() -> Ed25519PrivateKey:
    """A fresh Ed25519 signing key from the operating system's CSPRNG."""
    return Ed25519PrivateKey.generate()


def public_key(private: Ed25519PrivateKey) -> PublicKey:
    """The PublicKey of a private key."""
    return PublicKey(
        private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    )


def save_private_key(path: Path, private: Ed25519PrivateKey, passphrase: bytes | None) -> None:
    """Write the key as PKCS#8 PEM with mode 0600; refuse to overwrite an existing file."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyError_(f"{path} already exists; refusing to overwrite a signing key.") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def load_private_key(path: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    """Read a PKCS#8 PEM Ed25519 key, with a KeyError_ a user can act on for every failure."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyError_(f"no signing key at {path}; run 'readout init' first.") from exc
    except OSError as exc:
        raise KeyError_(f"cannot read the signing key at {path}: {exc.strerror}.") from exc
    encrypted = b"ENCRYPTED PRIVATE KEY" in data
    if encrypted and not passphrase:
        raise KeyError_(
            "the signing key is encrypted; set READOUT_KEY_PASSPHRASE to its passphrase."
        )
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except (ValueError, TypeError) as exc:
        if encrypted:
            raise KeyError_(
                "the passphrase in READOUT_KEY_PASSPHRASE does not open the signing key."
            ) from exc
        raise KeyError_(f"{path} is not a readable PEM private key.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_(f"{path} holds a key that is not Ed25519.")
    return key
