"""Feeds and listing pages: new items become watches, snapshotted in the same run."""

from __future__ import annotations

import sqlite3

from support import noisy_page

from archive.localsite import Page


def _rss(site, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Readout {p}</title><link>{site.url(p)}</link></item>" for p in paths
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Readouts</title>'
        f"<link>{site.url('/')}</link>{items}</channel></rss>"
    ).encode()


def test_a_feed_that_gains_items_adds_watches_between_runs(initialised, site):
    site.pages["/news/1"] = Page(noisy_page(seed=1))
    site.pages["/news/2"] = Page(noisy_page(seed=2))
    site.pages["/news/3"] = Page(noisy_page(seed=3))
    site.pages["/feed.xml"] = Page(
        _rss(site, ["/news/1", "/about"]), content_type="application/rss+xml"
    )
    feed = site.url("/feed.xml")
    initialised("feed", "add", feed, "--every", "6h", "--match", r"/news/\d+$")
    first = initialised.json("snapshot", "--due")
    assert [o["url"] for o in first] == [site.url("/news/1")]  # /about does not match
    site.pages["/feed.xml"] = Page(
        _rss(site, ["/news/3", "/news/2", "/news/1"]), content_type="application/rss+xml"
    )
    second = initialised.json("snapshot", "--due")
    assert sorted(o["url"] for o in second) == [site.url("/news/2"), site.url("/news/3")]
    watched = {w["url"]: w for w in initialised.json("watch", "list")}
    assert set(watched) == {site.url(f"/news/{i}") for i in (1, 2, 3)}
    assert {w["discovered_from"] for w in watched.values()} == {feed}
    assert {w["every_seconds"] for w in watched.values()} == {6 * 3600}
    listing = initialised.json("feed", "list")
    assert listing[0]["url"] == feed and listing[0]["last_error"] is None


def test_an_html_listing_page_is_followed_on_its_own_site(initialised, site):
    site.pages["/statements/7"] = Page(noisy_page(seed=7))
    listing = (
        b'<html><body><ul><li><a href="/statements/7">Statement</a></li>'
        b'<li><a href="https://elsewhere.example/x">Elsewhere</a></li>'
        b'<li><a href="/statements/7#top">Same, with a fragment</a></li></ul></body></html>'
    )
    site.pages["/statements"] = Page(listing)
    initialised("feed", "add", site.url("/statements"))
    found = initialised.json("feed", "check")
    assert found == [
        {"feed": site.url("/statements"), "new_watches": [site.url("/statements/7")], "error": None}
    ]
    assert initialised.json("feed", "check")[0]["new_watches"] == []  # nothing new


def test_a_broken_feed_is_reported_and_does_not_stop_the_run(initialised, site, serve):
    page = serve("/page", noisy_page(seed=4))
    initialised("watch", "add", page)
    initialised("feed", "add", site.url("/missing-feed.xml"))
    result = initialised("snapshot", "--due", "--json")
    assert "feed" in result.stderr and "404" in result.stderr
    assert [o["url"] for o in __import__("json").loads(result.stdout)] == [page]
    with sqlite3.connect(initialised.archive / "readout.db") as db:
        (error,) = db.execute("SELECT last_error FROM feeds").fetchone()
    assert "404" in error
    assert (
        "not a valid regular expression"
        in initialised("feed", "add", site.url("/f"), "--match", "(", code=2).stderr
    )
    initialised("feed", "remove", site.url("/missing-feed.xml"))
    assert initialised.json("feed", "list") == []
