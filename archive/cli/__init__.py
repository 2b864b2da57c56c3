"""The ``readout`` command line: parse options, call the library, render, map errors.

The only package that imports click and the only code that reads environment
variables. Exit codes (CONTRACT.md): 0 success; 1 an error, told on stderr
in one sentence; 2 usage error; 3 ``snapshot`` finished but a fetch failed;
4 verification found a problem. ``common`` holds the group and the one place
errors become exit codes; ``pages`` and ``ledger`` add the commands.
"""

from __future__ import annotations

from archive.cli import exports, feedcmds, jobs, ledger, pages  # noqa: F401  (registers the commands)
from archive.cli.common import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="readout")
