"""Times and durations as readout writes and reads them.

Every timestamp is RFC 3339 in UTC with a ``Z`` suffix and microseconds, so
timestamps sort as strings and two observations in one second still order.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from archive.errors import UsageError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")


def utcnow() -> datetime:
    """The current time in UTC (one place to read the clock)."""
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and a Z suffix: ``2025-06-04T10:00:00.000000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (``Z`` or an offset) or a bare date, as UTC."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{text!r} is not an RFC 3339 time or a YYYY-MM-DD date.") from exc
    if moment.tzinfo is None:
        raise UsageError(f"{text!r} has no time zone; add Z for UTC.")
    return moment.astimezone(UTC)


def parse_duration(text: str) -> int:
    """Parse ``15m``, ``6h``, ``1d``, ``1h30m``, ``2w`` into seconds (at least one second)."""
    value = text.strip().lower()
    pos, total = 0, 0
    for match in _DURATION.finditer(value):
        if match.start() != pos and value[pos : match.start()].strip():
            break
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not value or value[pos:].strip() or total <= 0:
        raise UsageError(f"{text!r} is not a duration; use forms like 30s, 15m, 6h, 1d or 1h30m.")
    return total


def format_duration(seconds: int) -> str:
    """The shortest exact form of a duration: 86400 -> ``1d``, 5400 -> ``1h30m``."""
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A ``--since``/``--until`` value: a time, a date, or a duration ago (``7d``)."""
    try:
        return parse_time(text)
    except UsageError:
        pass
    try:
        seconds = parse_duration(text)
    except UsageError as exc:
        raise UsageError(
            f"{text!r} is neither a time (2025-06-04T10:00:00Z), a date, nor a duration ago (7d)."
        ) from exc
    return (now or utcnow()) - timedelta(seconds=seconds)
