"""Backfill from a local server that speaks the Wayback Machine's CDX and id_ protocol."""

from __future__ import annotations

import json
import sqlite3

from support import sample_page

from archive.localsite import LocalSite, Page

PAGE = "https://government.example/en/events/president/news/readout"
CAPTURES = [  # timestamp, page version (the edit sits between the 2nd and 3rd)
    ("20250604190000", "readout-v1.html"),
    ("20250610080000", "readout-v1.html"),
    ("20250701120000", "readout-v2.html"),
]


def _wayback(site: LocalSite) -> str:
    rows = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
    for stamp, name in CAPTURES:
        rows.append(["example)/readout", stamp, PAGE, "text/html", "200", name, "1000"])
        site.pages[f"/web/{stamp}id_/{PAGE}"] = Page(sample_page(name))
    site.pages["/cdx/search/cdx"] = Page(json.dumps(rows).encode(), content_type="application/json")
    return site.url("")


def test_import_wayback_finds_the_silent_edit_in_past_captures(initialised, site):
    endpoint = _wayback(site)
    out = initialised.json("import", "wayback", PAGE, "--endpoint", endpoint)
    assert [o["status"] for o in out] == ["new", "unchanged", "changed"]
    assert [o["observed_at"][:10] for o in out] == ["2025-06-04", "2025-06-10", "2025-07-01"]
    change = initialised.json("changes")[0]
    assert change["url"] == PAGE and change["silent"] is True
    assert "former US President" in change["summary"]
    assert (change["not_before"], change["detected_at"]) == (
        "2025-06-10T08:00:00.000000Z",
        "2025-07-01T12:00:00.000000Z",
    )
    with sqlite3.connect(initialised.archive / "readout.db") as db:
        records = [json.loads(r) for (r,) in db.execute("SELECT record FROM log ORDER BY seq")]
    assert all(r["imported"]["source"] == "wayback" for r in records)
    assert records[0]["imported"]["record_id"].endswith(f"/web/20250604190000id_/{PAGE}")
    assert records[0]["url"] == PAGE and records[0]["final_url"] == PAGE
    assert initialised.json("verify")["ok"]
    cdx = next(h for p, h in site.requests if p == "/cdx/search/cdx")
    assert cdx  # the listing was asked for


def test_a_broken_cdx_server_is_one_sentence(initialised, site):
    site.pages["/cdx/search/cdx"] = Page(b"<html>oops</html>")
    bad = initialised("import", "wayback", PAGE, "--endpoint", site.url(""), code=1)
    assert "not the JSON" in bad.stderr
    assert (
        "CDX server at"
        in initialised("import", "wayback", PAGE, "--endpoint", "http://127.0.0.1:9", code=1).stderr
    )
    site.pages["/cdx/search/cdx"] = Page(b"", content_type="application/json")
    assert initialised.json("import", "wayback", PAGE, "--endpoint", site.url("")) == []
