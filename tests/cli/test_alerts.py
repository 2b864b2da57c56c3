"""Change alerts: a webhook that fails once, and a watch's notify command."""

from __future__ import annotations

import json
import sys

from support import sample_page

from archive.localsite import Page


def test_a_webhook_that_fails_once_gets_the_change_on_the_next_run(initialised, serve, site):
    url = serve("/readout", sample_page("readout-v1.html"))
    hook = site.url("/hook")
    site.pages["/hook"] = [Page(b"busy", status=503), Page(b"ok")]
    initialised("--webhook", hook, "snapshot", url)
    site.pages["/readout"] = Page(sample_page("readout-v2.html"))
    first = initialised("--webhook", hook, "snapshot", url, "--json")
    assert json.loads(first.stdout)[0]["status"] == "changed"  # the run itself succeeded
    assert "not delivered" in first.stderr and "503" in first.stderr
    assert len(site.posts) == 1
    initialised("--webhook", hook, "snapshot", url)  # nothing new; the alert is retried
    assert len(site.posts) == 2
    delivered = json.loads(site.posts[-1][1])
    assert delivered == initialised.json("changes")[0]
    assert "former US President" in delivered["summary"]
    initialised("--webhook", hook, "snapshot", url)
    assert len(site.posts) == 2  # delivered once, never again


def test_a_notify_command_gets_the_change_on_stdin(initialised, serve, site, tmp_path):
    url = serve("/readout", sample_page("readout-v1.html"))
    out = tmp_path / "alert.json"
    script = tmp_path / "notify.py"
    script.write_text(
        "import os, sys, pathlib\n"
        f"pathlib.Path({str(out)!r}).write_text(os.environ['READOUT_CHANGE_ID'] + '\\n' + "
        "sys.stdin.read())\n"
    )
    initialised("watch", "add", url, "--notify", f"{sys.executable} {script}")
    initialised("snapshot", url)
    site.pages["/readout"] = Page(sample_page("readout-v2.html"))
    initialised("snapshot", url)
    change_id, payload = out.read_text().split("\n", 1)
    assert json.loads(payload)["id"] == int(change_id) == 1
    assert (
        "not a command line"
        in initialised("watch", "add", url, "--notify", "'unclosed", code=2).stderr
    )
    assert "http" in initialised("--webhook", "ftp://x", "snapshot", url, code=2).stderr
