"""provenance: canonical encoding, hashing, keys, signatures and verification.

A small library that stands alone: it imports nothing from ``archive`` so a
reviewer can install just it (with ``schemas``) to check an audit bundle.
"""

__version__ = "0.1.0"
