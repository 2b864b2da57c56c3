"""Errors raised by the readout application.

Each carries one plain sentence saying what went wrong and what to do next;
the CLI prints it and maps the class to the contract's exit code in one place
(``archive/cli.py``).

    ReadoutError                   exit 1
    ├── ArchiveError               the archive is missing, not initialised or damaged
    │   └── ArchiveBusy            another writer holds the archive lock
    ├── WatchError                 a watch cannot be added, found or removed
    ├── UsageError                 an argument is well-formed but unusable (exit 2)
    ├── FetchError                 one fetch failed (recorded, never raised to the CLI)
    ├── ExtractError               a body cannot be decoded or has no main text
    └── NotFound                   a URL, version or change is not in the archive
"""

from __future__ import annotations


class ReadoutError(Exception):
    """Base class of every error the archive application raises."""


class ArchiveError(ReadoutError):
    """The archive directory is missing, not initialised, or damaged."""


class ArchiveBusy(ArchiveError):
    """Another process holds the archive's write lock."""


class WatchError(ReadoutError):
    """A watch cannot be added, found or removed."""


class UsageError(ReadoutError):
    """An argument parsed but cannot be used (a bad duration, regex or selector)."""


class FetchError(ReadoutError):
    """A fetch failed: HTTP error, refused connection, timeout, oversized body."""


class ExtractError(ReadoutError):
    """A response body cannot be decoded as HTML or holds no main text."""


class NotFound(ReadoutError):
    """A URL, version or change that was asked for is not in the archive."""
