"""``python -m provenance verify-bundle PATH``: check an audit bundle with this package alone.

For reviewers who install only ``provenance`` and ``schemas`` (and
cryptography, jsonschema, rfc3161-client): no HTTP client, no extractor, no
archive. Exit 0 when every check passes, 4 when one fails, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from provenance.bundle import verify_bundle
from provenance.errors import ProvenanceError
from provenance.keys import PublicKey


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, verify, print the report; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m provenance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify-bundle", help="check an audit bundle offline")
    check.add_argument("path", type=Path, help="the bundle: a folder or a .zip")
    check.add_argument("--pubkey", type=Path, help="the archive's public key, obtained elsewhere")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    pubkey = None
    if args.pubkey is not None:
        try:
            pubkey = PublicKey.from_text(args.pubkey.read_text())
        except (OSError, ProvenanceError) as exc:
            print(f"provenance: cannot read the public key: {exc}", file=sys.stderr)
            return 2
    report = verify_bundle(args.path, pubkey)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            print(f"PROBLEM  {problem['where']}: {problem['what']}")
        for note in report.notes:
            print(f"note: {note}")
        counts = ", ".join(f"{n} {name}" for name, n in report.checked.items())
        verdict = "OK" if report.ok else f"FAILED ({len(report.problems)} problem(s))"
        print(f"{verdict}: checked {counts}.")
    return 0 if report.ok else 4


if __name__ == "__main__":
    sys.exit(main())
