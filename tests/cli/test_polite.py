"""Polite fetching: conditional requests, retries with backoff and Retry-After."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

from support import noisy_page

from archive.fetch import parse_retry_after
from archive.localsite import Page


def _statuses(runner):
    with sqlite3.connect(runner.archive / "readout.db") as db:
        return [r[0] for r in db.execute("SELECT http_status FROM observations ORDER BY seq")]


def test_an_etag_makes_the_next_request_conditional_and_a_304_is_unchanged(
    initialised, serve, site
):
    body = noisy_page(seed=1)
    site.pages["/robots.txt"] = Page(b"", status=404)  # so only the page's bytes are counted
    url = serve("/p", body, etag='"v1"')
    assert initialised.json("snapshot", url)[0]["status"] == "new"
    sent_first = site.bytes_sent
    assert sent_first == len(body)
    out = initialised.json("snapshot", url)[0]
    assert out["status"] == "unchanged" and out["version"] == 1
    assert site.requests[-1][1].get("If-None-Match") == '"v1"'
    assert site.bytes_sent == sent_first  # the 304 carried no body
    assert _statuses(initialised) == [200, 304]
    assert initialised.json("verify")["ok"]
    site.pages["/p"] = Page(noisy_page(seed=1, topic="revised"), etag='"v2"')
    assert initialised.json("snapshot", url)[0]["status"] == "changed"


def test_last_modified_works_the_same_way(initialised, serve, site):
    stamp = "Wed, 04 Jun 2025 10:00:00 GMT"
    url = serve("/lm", noisy_page(seed=2), last_modified=stamp)
    initialised("snapshot", url)
    assert initialised.json("snapshot", url)[0]["status"] == "unchanged"
    assert site.requests[-1][1].get("If-Modified-Since") == stamp
    assert _statuses(initialised) == [200, 304]


def test_429_with_retry_after_is_waited_out_then_succeeds(initialised, site):
    site.pages["/busy"] = [
        Page(b"slow down", status=429, headers={"Retry-After": "1"}),
        Page(noisy_page(seed=3)),
    ]
    start = time.monotonic()
    out = initialised.json("snapshot", site.url("/busy"), "--retries", "2")[0]
    assert out["status"] == "new"
    assert time.monotonic() - start >= 1.0
    assert site.hits["/busy"] == 2


def test_5xx_is_retried_then_recorded_as_failed(initialised, site):
    site.pages["/down"] = Page(b"oops", status=503)
    out = initialised.json("snapshot", site.url("/down"), "--retries", "2", code=3)[0]
    assert out["status"] == "failed" and "HTTP 503" in out["error"]
    assert site.hits["/down"] == 3
    site.pages["/gone"] = Page(b"no", status=404)
    initialised("snapshot", site.url("/gone"), code=3)
    assert site.hits["/gone"] == 1  # a 404 is an answer, not a hiccup


def test_a_retry_after_longer_than_we_wait_fails_at_once(initialised, site):
    site.pages["/later"] = Page(b"", status=503, headers={"Retry-After": "3600"})
    out = initialised.json("snapshot", site.url("/later"), "--retries", "2", code=3)[0]
    assert "retry after 3600 s" in out["error"] and site.hits["/later"] == 1


def test_a_refused_connection_is_retried(initialised):
    start = time.monotonic()
    out = initialised.json("snapshot", "http://127.0.0.1:9/", "--retries", "1", code=3)[0]
    assert "connection refused" in out["error"]
    assert time.monotonic() - start >= 0.4  # one backoff of 1 s x jitter 0.5-1.5


def test_retry_after_parses_seconds_and_dates():
    now = datetime(2025, 6, 4, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 04 Jun 2025 10:01:30 GMT", now) == 90.0
    assert parse_retry_after("Wed, 04 Jun 2025 09:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_robots_txt_is_honoured_unless_a_watch_opts_out(initialised, serve, site):
    site.pages["/robots.txt"] = Page(
        b"User-agent: readout\nDisallow: /private\n", content_type="text/plain"
    )
    public = serve("/public", noisy_page(seed=6))
    private = serve("/private/minutes", noisy_page(seed=7))
    out = {o["url"]: o for o in initialised.json("snapshot", public, private, code=3)}
    assert out[public]["status"] == "new"
    assert out[private]["status"] == "failed" and "robots.txt" in out[private]["error"]
    assert site.hits.get("/private/minutes", 0) == 0 and site.hits["/robots.txt"] == 1
    initialised("watch", "add", private, "--ignore-robots")
    assert initialised.json("snapshot", private)[0]["status"] == "new"
    with sqlite3.connect(initialised.archive / "readout.db") as db:
        (record,) = db.execute("SELECT record FROM log ORDER BY seq DESC LIMIT 1").fetchone()
    assert '"robots":"ignored"' in record
    assert initialised.json("watch", "list")[0]["ignore_robots"] is True
    assert initialised.json("verify")["ok"]


def test_the_user_agent_names_the_contact_set_at_init(readout, serve, site):
    readout("init", "--contact", "newsroom@example.org")
    readout("snapshot", serve("/p", noisy_page(seed=8)))
    agents = {headers.get("User-Agent") for _path, headers in site.requests}
    assert all("readout/" in a and "newsroom@example.org" in a for a in agents)
    assert "one line" in readout("init", "--contact", "a\nb", code=2).stderr


def test_host_delay_spaces_requests_to_one_host(initialised, serve):
    urls = [serve(f"/d{i}", noisy_page(seed=i)) for i in range(3)]
    start = time.monotonic()
    initialised("snapshot", *urls, "--host-delay", "0.4")
    assert time.monotonic() - start >= 0.8  # two gaps of 0.4 s between three requests


def test_a_slow_host_does_not_stall_the_others(initialised, serve):
    from archive.localsite import LocalSite

    slow = serve("/slow", noisy_page(seed=9), delay=2.0)
    with LocalSite(host="127.0.0.2") as fast_site:
        fast = []
        for i in range(6):
            fast_site.pages[f"/f{i}"] = Page(noisy_page(seed=20 + i))
            fast.append(fast_site.url(f"/f{i}"))
        out = initialised.json("snapshot", slow, *fast)
    order = [o["url"] for o in out]  # in the order pages finished
    assert order[-1] == slow and set(order[:-1]) == set(fast)
