"""``readout report``: a static, browsable site of the detected edits.

Plain HTML files with their CSS and a few lines of script inline: no server,
no external resources, so the site works from ``file://`` and from any
static host. ``index.html`` lists the edits newest first, with filters by
site and kind (the filter state lives in the URL fragment, so a filtered
view can be linked); ``changes/<id>.html`` shows one edit as a highlighted
word diff with its time window, the hashes of both versions, the signed
record that detected it, and how to check all of it.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from archive import checkpoints, diff, query
from archive.errors import UsageError
from archive.repo import Archive

KINDS = ("number", "name", "negation", "added", "removed", "wording")

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em} a{color:#0645ad}
table{border-collapse:collapse;width:100%} td,th{padding:.4em;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top} .kind{display:inline-block;padding:0 .4em;margin:0 .2em .2em 0;
border-radius:.3em;background:#eef;font-size:.85em} .silent{color:#a00;font-weight:bold}
.filters{margin:1em 0;padding:.6em;background:#f6f6f6} .filters label{margin-right:1em}
.text{white-space:pre-wrap;font:16px/1.6 Georgia,serif;border:1px solid #ddd;padding:1em}
del{background:#fdd;color:#900;text-decoration:line-through}
ins{background:#dfd;color:#060;text-decoration:none}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em} dt{font-weight:bold}
code,pre{font-size:.85em;word-break:break-all;white-space:pre-wrap}
"""

_FILTER_SCRIPT = """
function readFilter() {
  var filter = {site: "", kinds: []};
  location.hash.replace(/^#/, "").split("&").forEach(function (part) {
    var kv = part.split("=");
    if (kv[0] === "site") filter.site = decodeURIComponent(kv[1] || "");
    if (kv[0] === "kind" && kv[1]) filter.kinds = decodeURIComponent(kv[1]).split(",");
  });
  return filter;
}
function apply() {
  var filter = readFilter(), shown = 0;
  document.getElementById("site").value = filter.site;
  document.querySelectorAll("input[name=kind]").forEach(function (box) {
    box.checked = filter.kinds.indexOf(box.value) >= 0;
  });
  document.querySelectorAll("tr.change").forEach(function (row) {
    var kinds = row.dataset.kinds.split(" ");
    var ok = (!filter.site || row.dataset.site === filter.site) &&
      (!filter.kinds.length || filter.kinds.some(function (k) { return kinds.indexOf(k) >= 0; }));
    row.hidden = !ok;
    if (ok) shown++;
  });
  document.getElementById("count").textContent = shown;
}
function update() {
  var site = document.getElementById("site").value, kinds = [], parts = [];
  document.querySelectorAll("input[name=kind]:checked").forEach(function (box) {
    kinds.push(box.value);
  });
  if (site) parts.push("site=" + encodeURIComponent(site));
  if (kinds.length) parts.push("kind=" + encodeURIComponent(kinds.join(",")));
  location.hash = parts.join("&");
  apply();
}
window.addEventListener("hashchange", apply);
document.addEventListener("DOMContentLoaded", function () {
  document.getElementById("site").addEventListener("change", update);
  document.querySelectorAll("input[name=kind]").forEach(function (box) {
    box.addEventListener("change", update);
  });
  apply();
});
"""


@dataclass(frozen=True)
class ReportResult:
    """What ``write_report`` produced."""

    path: Path
    changes: int


def _page(title: str, body: str, script: str = "") -> str:
    tail = f"<script>{script}</script>" if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}{tail}</body></html>\n"
    )


def _site(url: str) -> str:
    return urlsplit(url).netloc or url


def write_report(archive: Archive, out: Path) -> ReportResult:
    """Write the site to ``out`` (a new or empty folder, or one this command wrote before)."""
    if out.exists() and any(out.iterdir()) and not (out / ".readout-report").exists():
        raise UsageError(f"{out} exists and holds other files; choose a new folder.")
    if out.exists():
        shutil.rmtree(out)
    (out / "changes").mkdir(parents=True)
    (out / ".readout-report").write_text("written by readout report; safe to replace\n")
    items = query.changes(archive)
    origin = checkpoints.origin(archive)
    for change in items:
        (out / "changes" / f"{change.id}.html").write_text(
            _change_page(archive, change, origin), encoding="utf-8"
        )
    (out / "index.html").write_text(_index(items, origin), encoding="utf-8")
    return ReportResult(out, len(items))


def _index(items: list[query.Change], origin: str) -> str:
    sites = sorted({_site(c.url) for c in items})
    options = "".join(f'<option value="{html.escape(s)}">{html.escape(s)}</option>' for s in sites)
    boxes = "".join(
        f'<label><input type="checkbox" name="kind" value="{k}"> {k}</label>' for k in KINDS
    )
    rows = []
    for c in items:
        kinds = "".join(f'<span class="kind">{html.escape(k)}</span>' for k in c.kinds)
        silent = '<span class="silent">silent</span> ' if c.silent else ""
        rows.append(
            f'<tr class="change" id="change-{c.id}" data-site="{html.escape(_site(c.url))}" '
            f'data-kinds="{html.escape(" ".join(c.kinds))}">'
            f"<td>{html.escape(c.detected_at[:16].replace('T', ' '))}</td>"
            f'<td><a href="changes/{c.id}.html">{html.escape(c.url)}</a><br>'
            f"{silent}{html.escape(c.summary)}</td><td>{kinds}</td></tr>"
        )
    empty = "" if items else "<p>No edits detected yet.</p>"
    body = (
        f"<h1>Edits recorded by readout</h1><p>Archive <code>{html.escape(origin)}</code>. "
        "Each edit happened after the old version was last seen and no later than the new "
        "one was first seen; <em>silent</em> means the page's own update signals did not "
        "change.</p>"
        f'<div class="filters"><label>Site <select id="site"><option value="">all</option>'
        f"{options}</select></label> Kinds: {boxes} "
        f'(<span id="count">{len(items)}</span> shown)</div>{empty}'
        "<table><thead><tr><th>Detected</th><th>Page and edit</th><th>Kinds</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _page("readout: edits", body, _FILTER_SCRIPT)


def _change_page(archive: Archive, change: query.Change, origin: str) -> str:
    old = query.version(archive, change.url, change.from_version)
    new = query.version(archive, change.url, change.to_version)
    ops = diff.word_diff(query.text(archive, old), query.text(archive, new))
    rendered = diff.ops_to_html(ops)
    row = archive.db.execute(
        "SELECT l.seq, l.record_sha256, l.signature, l.key_id FROM changes c "
        "JOIN log l ON l.seq = c.seq WHERE c.id = ?",
        [change.id],
    ).fetchone()
    seq, record_sha, signature, key_id = row if row else (None, "", "", "")
    kinds = "".join(f'<span class="kind">{html.escape(k)}</span>' for k in change.kinds)
    facts = {
        "Page": f'<a href="{html.escape(change.url)}">{html.escape(change.url)}</a>',
        "Edit window": f"after {html.escape(change.not_before)}, "
        f"no later than {html.escape(change.detected_at)}",
        "Silent": "yes: the page's dates and notices did not change" if change.silent else "no",
        "Kinds": kinds,
        f"Version {old.version} text": f"<code>sha256:{old.text_sha256}</code>",
        f"Version {new.version} text": f"<code>sha256:{new.text_sha256}</code>",
        f"Version {old.version} response": f"<code>sha256:{old.content_sha256}</code>",
        f"Version {new.version} response": f"<code>sha256:{new.content_sha256}</code>",
        "Signed record": f"log entry {seq}, <code>sha256:{html.escape(record_sha)}</code>",
        "Signature": f"Ed25519 by key {html.escape(key_id)}: <code>{html.escape(signature)}</code>",
        "Log": f"<code>{html.escape(origin)}</code>",
    }
    facts_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts.items())
    how = (
        "<h2>How to check this</h2><ol>"
        "<li>Ask the archive's owner for its public key through a channel you trust, and for "
        f"an audit bundle: <code>readout export --url {html.escape(change.url)} --out "
        "edit.zip</code>. Check it offline with <code>readout verify-bundle edit.zip --pubkey "
        "KEY</code> (or <code>python -m provenance verify-bundle</code>).</li>"
        f"<li>The bundle holds both versions' raw responses and texts; their SHA-256 must be "
        "the values above (<code>gunzip -c objects/sha256/&lt;hash&gt;.gz | sha256sum</code>)."
        "</li>"
        f"<li>The record that detected the edit is log entry {seq}; "
        f"<code>readout log prove {seq}</code> prints its inclusion proof against the "
        "archive's signed checkpoint. Keep that checkpoint: <code>readout verify --against"
        "</code> will show later whether the archive still holds the same history.</li></ol>"
    )
    body = (
        '<p><a href="../index.html">&larr; all edits</a></p>'
        f"<h1>{html.escape(change.summary)}</h1><dl>{facts_html}</dl>"
        f"<h2>Word diff, version {old.version} &rarr; {new.version}</h2>"
        f'<div class="text" id="diff">{rendered}</div>{how}'
    )
    return _page(f"readout: {change.summary}", body)
