"""RFC 3161 trusted timestamps over checkpoints, with rfc3161-client doing all the ASN.1.

A checkpoint says what the log held; only a third party's clock can say *when*.
The message sent to a Time-Stamp Authority is the signed checkpoint note
itself (hashed with SHA-256 by the request builder), so a token binds the
TSA's time to that exact tree head and signature.

Verification needs a trust anchor the verifier chooses: the TSA's root
certificate (plus any intermediates). The TSA's own certificate travels in
the token (the request asks for it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    TimeStampRequest,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from provenance.errors import FormatError, TimestampError

CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"


@dataclass(frozen=True)
class TimestampInfo:
    """What a verified token says: when, by which serial, under which policy."""

    gen_time: dt.datetime
    serial_number: int
    policy: str


def make_request(message: bytes) -> TimeStampRequest:
    """A SHA-256 timestamp request for ``message`` with a fresh nonce and a certificate request."""
    return (
        TimestampRequestBuilder()
        .data(message)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    """Parse one or more PEM certificates; FormatError if there are none."""
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise FormatError("the certificate file holds no readable PEM certificate.") from exc
    return certificates


def verify_token(
    token: bytes,
    message: bytes,
    roots: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    request: TimeStampRequest | None = None,
) -> TimestampInfo:
    """Raise TimestampError unless ``token`` is a valid timestamp of ``message`` under ``roots``.

    With ``request`` (at issuance), the nonce and policy must match it too, so
    a replayed answer to another request is refused.
    """
    if not roots:
        raise TimestampError("no TSA root certificate is configured to check timestamps against.")
    try:
        response = decode_timestamp_response(token)
    except ValueError as exc:
        raise TimestampError("the timestamp token is not a readable RFC 3161 response.") from exc
    builder = VerifierBuilder.from_request(request) if request is not None else VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    for certificate in intermediates:
        builder = builder.add_intermediate_certificate(certificate)
    try:
        builder.build().verify_message(response, message)
    except (VerificationError, ValueError) as exc:
        raise TimestampError(f"the timestamp token does not verify: {exc}.") from exc
    info = response.tst_info
    gen_time = info.gen_time
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=dt.UTC)
    return TimestampInfo(gen_time, info.serial_number, info.policy.dotted_string)
