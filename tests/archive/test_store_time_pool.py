"""Object store, times and durations, and the host-limited pool."""

from __future__ import annotations

import gzip
import threading
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.errors import ArchiveError, UsageError
from archive.hostpool import host_limited_map
from archive.store import ObjectStore
from archive.timeutil import format_duration, format_time, parse_duration, parse_time, parse_when
from provenance.hashing import sha256_hex


def test_store_puts_once_and_reads_back_checked(tmp_path):
    store = ObjectStore(tmp_path)
    first = store.put(b"hello world")
    assert first.created and first.sha256 == sha256_hex(b"hello world")
    again = store.put(b"hello world")
    assert not again.created
    assert store.get(first.sha256) == b"hello world"
    path = store.path_for(first.sha256)
    assert gzip.decompress(path.read_bytes()) == b"hello world"  # readable with standard tools
    assert list(store.names()) == [first.sha256]
    assert not list(path.parent.glob(".tmp-*"))


def test_store_detects_damage_and_absence(tmp_path):
    store = ObjectStore(tmp_path)
    put = store.put(b"some content")
    path = store.path_for(put.sha256)
    path.write_bytes(gzip.compress(b"other content"))
    with pytest.raises(ArchiveError, match="altered"):
        store.get(put.sha256)
    path.write_bytes(b"not gzip")
    with pytest.raises(ArchiveError, match="damaged"):
        store.get(put.sha256)
    with pytest.raises(ArchiveError, match="missing"):
        store.get(sha256_hex(b"never stored"))
    with pytest.raises(ArchiveError):
        store.path_for("../../etc/passwd")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("6h", 21600), ("1d", 86400), ("1h30m", 5400), ("2w", 1209600)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "0s", "often", "5", "1x", "m5", "1h junk"])
def test_bad_durations(text):
    with pytest.raises(UsageError):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**8))
def test_duration_round_trip(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


def test_times():
    moment = datetime(2025, 6, 4, 10, 0, 0, 123, tzinfo=UTC)
    assert format_time(moment) == "2025-06-04T10:00:00.000123Z"
    assert parse_time(format_time(moment)) == moment
    assert parse_time("2025-06-04T13:00:00+03:00") == datetime(2025, 6, 4, 10, tzinfo=UTC)
    assert parse_time("2025-06-04") == datetime(2025, 6, 4, tzinfo=UTC)
    with pytest.raises(UsageError):
        parse_time("2025-06-04T10:00:00")
    now = datetime(2025, 6, 10, tzinfo=UTC)
    assert parse_when("7d", now) == datetime(2025, 6, 3, tzinfo=UTC)


def test_pool_respects_global_and_per_host_limits():
    active: dict[str, int] = {}
    peak: dict[str, int] = {}
    total = [0, 0]
    lock = threading.Lock()

    def work(item):
        host = item[0]
        with lock:
            active[host] = active.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), active[host])
            total[0] += 1
            total[1] = max(total[1], total[0])
        time.sleep(0.01)
        with lock:
            active[host] -= 1
            total[0] -= 1
        return item

    items = [(h, i) for h in "abcdef" for i in range(5)]
    done = list(host_limited_map(items, work, lambda x: x[0], concurrency=4, per_host=1))
    assert sorted(done) == sorted(items)
    assert max(peak.values()) == 1
    assert total[1] == 4


def test_pool_does_not_stall_behind_a_slow_host():
    finished: list[str] = []

    def work(item):
        time.sleep(0.5 if item[0] == "slow" else 0.01)
        finished.append(item[0])
        return item

    items = [("slow", i) for i in range(3)] + [("fast", i) for i in range(20)]
    start = time.monotonic()
    results = host_limited_map(items, work, lambda x: x[0], concurrency=4, per_host=1)
    first_twenty = [next(results) for _ in range(20)]
    assert sum(1 for host, _ in first_twenty if host == "fast") >= 19
    assert time.monotonic() - start < 1.4  # fast host was not queued behind slow ones
    list(results)
