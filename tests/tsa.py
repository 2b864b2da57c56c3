"""A real RFC 3161 Time-Stamp Authority on 127.0.0.1, answered by ``openssl ts -reply``.

A throwaway CA and TSA certificate (extendedKeyUsage critical timeStamping)
are made in a temporary directory; each POSTed query is written to a file and
OpenSSL signs the reply. ``mode`` switches the server to answer garbage or an
HTTP error, and ``requests`` counts what it was asked.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_pki(directory: Path, name: str = "readout test") -> tuple[Path, Path]:
    """Create a CA and a TSA certificate in ``directory``; return (root.pem, tsa.pem)."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} root CA"))
        .issuer_name(_name(f"{name} root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} TSA"))
        .issuer_name(ca.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "root.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    _write_key(directory / "tsa.key", tsa_key)
    (directory / "serial").write_text("01\n")
    (directory / "tsa.cnf").write_text(TSA_CONFIG.format(dir=directory))
    return directory / "root.pem", directory / "tsa.pem"


def openssl_reply(directory: Path, query: bytes) -> bytes:
    """Have OpenSSL answer a DER timestamp query with a signed DER reply."""
    with _lock:
        (directory / "query.tsq").write_bytes(query)
        subprocess.run(
            [
                "openssl",
                "ts",
                "-reply",
                "-config",
                str(directory / "tsa.cnf"),
                "-queryfile",
                str(directory / "query.tsq"),
                "-out",
                str(directory / "reply.tsr"),
            ],
            check=True,
            capture_output=True,
        )
        return (directory / "reply.tsr").read_bytes()


_lock = threading.Lock()


class LocalTSA:
    """An HTTP TSA on 127.0.0.1: ``mode`` is ``ok``, ``garbage`` or ``error``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.root, self.cert = make_pki(directory)
        self.mode = "ok"
        self.requests = 0
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                tsa.requests += 1
                query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if tsa.mode == "error":
                    self.send_error(503, "down for maintenance")
                    return
                body = (
                    b"\x30\x03\x02\x01\x00garbage"
                    if tsa.mode == "garbage"
                    else openssl_reply(tsa.directory, query)
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to POST timestamp queries."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/tsr"

    def __enter__(self) -> LocalTSA:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
