"""The main job through the real CLI: snapshot, silent edit, history, diff, changes."""

from __future__ import annotations

import json
import re

from support import noisy_page, sample_page

from archive.localsite import Page


def _seed_edit(initialised, serve, site):
    url = serve("/readout", sample_page("readout-v1.html"))
    first = initialised.json("snapshot", url)
    site.pages["/readout"] = Page(sample_page("readout-v2.html"))
    second = initialised.json("snapshot", url)
    return url, first, second


def test_seed_edit_is_detected_as_silent_name_change(initialised, serve, site):
    url, first, second = _seed_edit(initialised, serve, site)
    assert first[0]["status"] == "new" and first[0]["version"] == 1
    assert second[0]["status"] == "changed" and second[0]["version"] == 2
    assert second[0]["change_id"] is not None
    changes = initialised.json("changes")
    assert len(changes) == 1
    change = changes[0]
    assert change["url"] == url
    assert change["silent"] is True
    assert change["kinds"] == ["name"]
    assert change["summary"].startswith('"former US President" → "US President"')
    assert change["not_before"] == first[0]["observed_at"]
    assert change["detected_at"] == second[0]["observed_at"]
    assert change["from_version"] == 1 and change["to_version"] == 2


def test_diff_json_is_the_one_word_edit_and_reassembles(initialised, serve, site):
    url, _, _ = _seed_edit(initialised, serve, site)
    result = initialised("diff", url, "--format", "json")
    data = json.loads(result.stdout)
    changed = [op for op in data["ops"] if op[0] != "equal"]
    assert changed == [["delete", "former "]]
    assert data["stats"] == {"inserted_words": 0, "deleted_words": 1}
    old = "".join(t for k, t in data["ops"] if k in ("equal", "delete"))
    new = "".join(t for k, t in data["ops"] if k in ("equal", "insert"))
    assert "former US President" in old and "former" not in new
    history = initialised.json("history", url)
    assert [v["version"] for v in history["versions"]] == [1, 2]
    import hashlib

    assert hashlib.sha256(old.encode()).hexdigest() == data["from"]["text_sha256"]
    assert hashlib.sha256(new.encode()).hexdigest() == data["to"]["text_sha256"]


def test_diff_text_plain_when_piped_and_coloured_on_request(initialised, serve, site):
    url, _, _ = _seed_edit(initialised, serve, site)
    plain = initialised("diff", url).stdout
    assert "[-former -]" in plain
    assert "\x1b[" not in plain
    coloured = initialised("diff", url, "--color", "always").stdout
    assert "\x1b[" in coloured and "former" in coloured
    nocolor = initialised("diff", url, "--color", "auto", env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in nocolor
    html = initialised("diff", url, "--format", "html").stdout
    assert re.search(r"<del[^>]*>former\s*</del>", html)


def test_diff_refs_and_errors(initialised, serve, site):
    url, _, _ = _seed_edit(initialised, serve, site)
    same = json.loads(
        initialised("diff", url, "--from", "2", "--to", "2", "--format", "json").stdout
    )
    assert all(op[0] == "equal" for op in same["ops"])
    missing = initialised("diff", url, "--from", "1", "--to", "7", code=1)
    assert "no version 7" in missing.stderr
    unknown = initialised("diff", "http://127.0.0.1:9/nothing", code=1)
    assert "no observation" in unknown.stderr


def test_single_version_has_nothing_to_diff(initialised, serve):
    url = serve("/one", noisy_page(seed=1))
    initialised("snapshot", url)
    result = initialised("diff", url, code=1)
    assert "only one version" in result.stderr


def test_noise_only_rerenders_are_unchanged(initialised, serve, site):
    url = serve("/noisy", noisy_page(seed=1))
    assert initialised.json("snapshot", url)[0]["status"] == "new"
    for seed in (2, 3, 4):
        site.pages["/noisy"] = Page(noisy_page(seed=seed))
        out = initialised.json("snapshot", url)
        assert out[0]["status"] == "unchanged", out
        assert out[0]["version"] == 1
    history = initialised.json("history", url)
    assert len(history["versions"]) == 1
    assert history["versions"][0]["observations"] == 4
    assert initialised.json("changes") == []


def test_snapshot_watches_and_due(initialised, serve):
    a = serve("/a", noisy_page(seed=1))
    b = serve("/b", noisy_page(seed=2, topic="budget"))
    initialised("watch", "add", a, "--every", "1h")
    initialised("watch", "add", b, "--every", "1h")
    first = initialised.json("snapshot", "--due")
    assert sorted(o["url"] for o in first) == sorted([a, b])
    assert initialised.json("snapshot", "--due") == []
    every = initialised.json("snapshot")
    assert {o["status"] for o in every} == {"unchanged"}


def test_snapshot_json_shape(initialised, serve):
    url = serve("/shape", noisy_page(seed=5))
    out = initialised.json("snapshot", url)
    assert set(out[0]) == {
        "url",
        "status",
        "version",
        "observed_at",
        "content_sha256",
        "text_sha256",
        "change_id",
        "error",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", out[0]["observed_at"])


def test_changes_filters(initialised, serve, site):
    url, _, _ = _seed_edit(initialised, serve, site)
    assert initialised.json("changes", "--url", url)[0]["url"] == url
    assert initialised.json("changes", "--url", "http://other.example/") == []
    assert initialised.json("changes", "--since", "1d") != []
    assert initialised.json("changes", "--since", "2999-01-01T00:00:00Z") == []
    bad = initialised("changes", "--since", "yesterday-ish", code=2)
    assert "duration" in bad.stderr


def test_an_unchanged_page_adds_a_row_and_no_content(initialised, serve):
    import sqlite3

    url = serve("/same", noisy_page(seed=3))
    initialised("snapshot", url)
    db = initialised.archive / "readout.db"
    objects = sorted((initialised.archive / "objects").rglob("*.gz"))
    with sqlite3.connect(db) as conn:
        contents = conn.execute("SELECT COUNT(*) FROM contents").fetchone()[0]
    assert contents == len(objects) == 2  # the raw response and its text
    for _ in range(3):
        assert initialised.json("snapshot", url)[0]["status"] == "unchanged"
    assert sorted((initialised.archive / "objects").rglob("*.gz")) == objects
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM contents").fetchone()[0] == contents
        assert conn.execute("SELECT COUNT(*) FROM observations").fetchone()[0] == 4
        row = conn.execute(
            "SELECT http_status, final_url, content_type, elapsed_ms FROM observations"
        ).fetchone()
    assert row[0] == 200 and row[1] == url and row[2].startswith("text/html") and row[3] >= 0


def test_redirects_are_followed_and_the_final_url_recorded(initialised, serve, site):
    import sqlite3

    target = serve("/moved-here", noisy_page(seed=4))
    url = serve("/old-address", b"", status=301, headers={"Location": "/moved-here"})
    assert initialised.json("snapshot", url)[0]["status"] == "new"
    with sqlite3.connect(initialised.archive / "readout.db") as db:
        (final,) = db.execute("SELECT final_url FROM observations").fetchone()
    assert final == target
    site.pages["/loop"] = Page(b"", status=302, headers={"Location": "/loop"})
    out = initialised.json("snapshot", site.url("/loop"), code=3)
    assert "redirected more than 10 times" in out[0]["error"]
