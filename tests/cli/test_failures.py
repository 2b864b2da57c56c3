"""Bad input and faults: every failure is a recorded, signed observation; history is untouched."""

from __future__ import annotations

import socket

import pytest
from support import noisy_page

from archive.localsite import Page


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stored(initialised, serve):
    url = serve("/page", noisy_page(seed=1))
    first = initialised.json("snapshot", url)
    assert first[0]["status"] == "new"
    return url, initialised.json("history", url)


CASES = {
    "http-404": (Page(b"<p>gone</p>", status=404), {}, "HTTP 404"),
    "http-503": (Page(b"<p>busy</p>", status=503), {}, "HTTP 503"),
    "timeout": (Page(noisy_page(seed=2), delay=2.0), {"timeout": "0.5"}, "within 0.5 s"),
    "oversized": (Page(noisy_page(seed=2)), {"max-bytes": "1000"}, "1,000-byte limit"),
    "oversized-streamed": (
        Page(noisy_page(seed=2) * 50, send_length=False),
        {"max-bytes": "20000"},
        "20,000-byte limit",
    ),
    "binary": (
        Page(bytes(range(256)) * 20, content_type="application/octet-stream"),
        {},
        "not",
    ),
    "pdf": (Page(b"%PDF-1.7\n" + b"\x00" * 500, content_type="application/pdf"), {}, "not"),
    "garbage-as-html": (Page(b"\x00\xff\xfe" * 300, content_type="text/html"), {}, ""),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_failed_fetch_is_recorded_and_changes_nothing(case, stored, initialised, site):
    url, history_before = stored
    page, options, reason = CASES[case]
    site.pages["/page"] = page
    args = ["snapshot", url]
    for name, value in options.items():
        args += [f"--{name}", value]
    result = initialised(*args, "--json", code=3)
    import json

    out = json.loads(result.stdout)
    assert out[0]["status"] == "failed"
    assert out[0]["version"] is None and out[0]["text_sha256"] is None
    assert out[0]["error"] and reason in out[0]["error"]
    assert out[0]["error"].endswith(".")
    assert "Traceback" not in result.stdout + result.stderr
    assert initialised.json("history", url) == history_before
    initialised("verify")
    # the page comes back unchanged: still version 1
    site.pages["/page"] = Page(noisy_page(seed=9))
    assert initialised.json("snapshot", url)[0]["status"] == "unchanged"


def test_connection_refused_is_a_failure_with_exit_3(initialised):
    url = f"http://127.0.0.1:{_closed_port()}/x"
    result = initialised("snapshot", url, code=3)
    assert "could not connect" in result.stdout
    assert "connection refused" in result.stdout
    initialised("verify")


def test_one_failure_does_not_stop_the_others(initialised, serve):
    good = serve("/good", noisy_page(seed=1))
    bad = serve("/bad", b"", status=500)
    out = initialised.json("snapshot", good, bad, code=3)
    status = {o["url"]: o["status"] for o in out}
    assert status == {good: "new", bad: "failed"}


def test_lying_charset_header_is_survived(initialised, serve):
    text = (
        "<html><head><meta charset='windows-1251'></head><body><article>"
        + "".join(
            f"<p>Совещание номер {i} прошло в Кремле, участники обсудили переговоры.</p>"
            for i in range(6)
        )
        + "</article></body></html>"
    )
    url = serve("/ru", text.encode("cp1251"), content_type="text/html; charset=utf-8")
    out = initialised.json("snapshot", url)
    assert out[0]["status"] == "new"
    import json

    data = json.loads(
        initialised("diff", url, "--from", "1", "--to", "1", "--format", "json").stdout
    )
    assert "Совещание" in data["ops"][0][1]


def test_snapshot_usage_errors(initialised):
    assert "not both" in initialised("snapshot", "http://a.example/", "--due", code=2).stderr
    assert "http" in initialised("snapshot", "notaurl", code=2).stderr
    assert initialised("snapshot", "--timeout", "-1", code=2).stderr
    empty = initialised("snapshot", code=1)
    assert "nothing to snapshot" in empty.stderr
