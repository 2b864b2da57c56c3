"""The static report, rendered by a real headless Chromium from file://."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from support import noisy_page, sample_page

import schemas
from archive.localsite import LocalSite, Page

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def report(initialised, serve, site, tmp_path):
    """Two edits on two sites: the seed readout's silent one, and a rewritten notice."""
    url = serve("/readout", sample_page("readout-v1.html"))
    with LocalSite(host="127.0.0.2") as other:
        other.pages["/notice"] = Page(noisy_page(seed=4, topic="grain exports"))
        notice = other.url("/notice")
        initialised("snapshot", url, notice)
        site.pages["/readout"] = Page(sample_page("readout-v2.html"))
        other.pages["/notice"] = Page(noisy_page(seed=4, topic="fertiliser exports"))
        initialised("snapshot", url, notice)
    out = tmp_path / "site"
    written = initialised.json("report", "--out", str(out))
    jsonschema.validate(written, schemas.load("report"))
    assert written == {"path": str(out), "changes": 2}
    return initialised, out, url, notice


def test_the_report_is_plain_files_that_link_up(report):
    readout, out, _url, _notice = report
    changes = readout.json("changes")
    assert len(changes) == 2
    index = (out / "index.html").read_text()
    for change in changes:
        assert f'href="changes/{change["id"]}.html"' in index
        page = (out / "changes" / f"{change['id']}.html").read_text()
        assert 'href="../index.html"' in page
        assert "http://" not in re.sub(r'href="[^"]*"|>[^<]*<', "", page)  # no external loads
    # writing again replaces the site; a folder with other files is refused
    readout("report", "--out", str(out))
    (out.parent / "mine").mkdir()
    (out.parent / "mine" / "notes.txt").write_text("x")
    assert "other files" in readout("report", "--out", str(out.parent / "mine"), code=2).stderr


def _chromium(*args: str, tmp: Path) -> str:
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (.ci/run installs Debian's)")
def test_the_browser_renders_the_diff_and_the_filters(report, tmp_path):
    readout, out, url, notice = report
    seed = next(c for c in readout.json("changes") if c["url"] == url)
    page = (out / "changes" / f"{seed['id']}.html").as_uri()
    dom = _chromium("--dump-dom", page, tmp=tmp_path)
    assert re.findall(r"<del>(.*?)</del>", dom) == ["former "]
    assert re.findall(r"<ins>(.*?)</ins>", dom) == []
    # Filters live in the URL fragment and run in the browser.
    index = (out / "index.html").as_uri()
    rows = _rows(_chromium("--dump-dom", index + "#kind=name", tmp=tmp_path))
    assert rows == {url: True, notice: False}
    host = notice.split("/")[2]  # 127.0.0.2:PORT
    rows = _rows(_chromium("--dump-dom", f"{index}#site={host.replace(':', '%3A')}", tmp=tmp_path))
    assert rows == {url: False, notice: True}
    assert _rows(_chromium("--dump-dom", index, tmp=tmp_path)) == {url: True, notice: True}
    artifacts = ROOT / ".artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "report-change.png"
    _chromium(f"--screenshot={shot}", "--window-size=1200,1000", page, tmp=tmp_path)
    assert shot.stat().st_size > 10_000


def _rows(dom: str) -> dict[str, bool]:
    """URL of each change row -> whether it is shown."""
    out = {}
    for row in re.findall(r'<tr class="change"[^>]*>.*?</tr>', dom, flags=re.S):
        link = re.search(r'<a href="changes/\d+\.html">([^<]+)</a>', row)
        assert link is not None
        out[link.group(1)] = "hidden" not in row.split(">", 1)[0]
    return out
