"""Word diffs that reassemble both texts exactly.

Two levels, so that a 3 MB readout with scattered edits diffs in well under a
second: (1) lines (one paragraph per line) are aligned patience-style, on the
lines that occur once in each text, with a longest increasing subsequence;
(2) each region between anchors that differs is diffed word by word with
diff-match-patch, each distinct token mapped to one code point, followed by
its semantic cleanup. A final pass slides each pure insertion or deletion so
that it starts on a word and carries the space after it: deleting "former"
from "with former US President" gives ``("delete", "former ")``.

Tokens follow Unicode word rules: a run of word characters (keeping inner
apostrophes and digit separators: ``Kiev’s``, ``1,200``, ``3.5``), a run of
whitespace, or one other character; scripts written without spaces (Han,
kana, Thai) are one token per character.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

Op = tuple[str, str]

_NOSPACE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_W = rf"[^\W{_NOSPACE}]"
_TOKEN = re.compile(rf"({_W}+(?:['’.,]{_W}+)*)|(\s+)|(.)", re.S)
_WORD = re.compile(r"\w")
_DMP_TIMEOUT = 2.0  # seconds per region; dmp stays correct past it, only less minimal


def tokenize(text: str) -> list[str]:
    """Split text into word, whitespace and single-character tokens; joining gives it back."""
    return [m.group(0) for m in _TOKEN.finditer(text)]


def _is_word(token: str) -> bool:
    return bool(_WORD.search(token))


def _encode(a: list[str], b: list[str]) -> tuple[str, str, list[str]]:
    index: dict[str, int] = {}
    table: list[str] = []

    def code(token: str) -> str:
        i = index.get(token)
        if i is None:
            i = index[token] = len(table)
            table.append(token)
        point = 0x100 + i
        if point >= 0xD800:
            point += 0x800  # skip the surrogate block
        return chr(point)

    return "".join(map(code, a)), "".join(map(code, b)), table


def _decode(chars: str, table: list[str]) -> list[str]:
    out = []
    for ch in chars:
        point = ord(ch)
        if point >= 0xE000:
            point -= 0x800
        out.append(table[point - 0x100])
    return out


_OPS = {0: "equal", 1: "insert", -1: "delete"}


def _token_diff(a: list[str], b: list[str]) -> list[tuple[str, list[str]]]:
    """Diff two token lists with diff-match-patch over one code point per token."""
    if not a and not b:
        return []
    if not a:
        return [("insert", b)]
    if not b:
        return [("delete", a)]
    ea, eb, table = _encode(a, b)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = _DMP_TIMEOUT
    diffs = dmp.diff_main(ea, eb, False)
    dmp.diff_cleanupSemantic(diffs)
    return [(_OPS[kind], _decode(chars, table)) for kind, chars in diffs if chars]


def _unique(lines: list[str], lo: int, hi: int) -> dict[str, int]:
    seen: dict[str, int] = {}
    dup: set[str] = set()
    for i in range(lo, hi):
        line = lines[i]
        if line in seen:
            dup.add(line)
        else:
            seen[line] = i
    return {k: v for k, v in seen.items() if k not in dup}


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of (i, j) pairs, sorted by i, increasing in j (patience sorting)."""
    tails: list[int] = []
    tail_idx: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[pos] = j
            tail_idx[pos] = k
        back[k] = tail_idx[pos - 1] if pos else -1
    out = []
    k = tail_idx[-1] if tail_idx else -1
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    return out[::-1]


def _align(
    a: list[str],
    b: list[str],
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    out: list[tuple[str, int, int, int, int]],
) -> None:
    """Append ('equal'|'region', alo, ahi, blo, bhi) blocks aligning a[alo:ahi] with b[blo:bhi]."""
    start_a, start_b = alo, blo
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        alo, blo = alo + 1, blo + 1
    if alo > start_a:
        out.append(("equal", start_a, alo, start_b, blo))
    tail = []
    end_a, end_b = ahi, bhi
    while ahi > alo and bhi > blo and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
    if ahi < end_a:
        tail.append(("equal", ahi, end_a, bhi, end_b))
    if alo < ahi or blo < bhi:
        ua, ub = _unique(a, alo, ahi), _unique(b, blo, bhi)
        pairs = sorted((i, ub[line]) for line, i in ua.items() if line in ub)
        anchors = _lis(pairs)
        if not anchors:
            out.append(("region", alo, ahi, blo, bhi))
        else:
            pa, pb = alo, blo
            for i, j in anchors:
                _align(a, b, pa, i, pb, j, out)
                out.append(("equal", i, i + 1, j, j + 1))
                pa, pb = i + 1, j + 1
            _align(a, b, pa, ahi, pb, bhi, out)
    out.extend(tail)


def _shift(ops: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Slide lone insertions/deletions between equals to start on a word, end after a space."""
    for k in range(1, len(ops) - 1):
        kind, edit = ops[k]
        if kind == "equal" or ops[k - 1][0] != "equal" or ops[k + 1][0] != "equal":
            continue
        left, e, right = list(ops[k - 1][1]), list(edit), list(ops[k + 1][1])
        while left and left[-1] == e[-1]:  # slide fully left
            right = [e[-1], *right]
            e = [left[-1], *e[:-1]]
            left = left[:-1]
        candidates = []
        while True:  # then every position to the right
            score = (2 if _is_word(e[0]) else 0) + (1 if e[-1].isspace() else 0)
            candidates.append((score, -len(candidates), left, e, right))
            if not right or right[0] != e[0]:
                break
            left, e, right = [*left, e[0]], [*e[1:], right[0]], right[1:]
        _, _, left, e, right = max(candidates)
        ops[k - 1], ops[k], ops[k + 1] = ("equal", left), (kind, e), ("equal", right)
    return [(kind, tokens) for kind, tokens in ops if tokens]


def _merge(ops: list[tuple[str, str]]) -> list[Op]:
    merged: list[list[str]] = []
    for kind, text in ops:
        if not text:
            continue
        if merged and merged[-1][0] == kind:
            merged[-1][1] += text
        elif (
            merged
            and kind == "delete"
            and merged[-1][0] == "insert"
            and (len(merged) < 2 or merged[-2][0] != "delete")
        ):
            merged.insert(len(merged) - 1, [kind, text])  # deletions come before insertions
        else:
            merged.append([kind, text])
    return [(k, t) for k, t in merged]


def word_diff(old: str, new: str) -> list[Op]:
    """Word-level diff ops; equal+delete texts give ``old``, equal+insert give ``new``."""
    if old == new:
        return [("equal", old)] if old else []
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    blocks: list[tuple[str, int, int, int, int]] = []
    _align(a, b, 0, len(a), 0, len(b), blocks)
    ops: list[tuple[str, str]] = []
    for kind, alo, ahi, blo, bhi in blocks:
        if kind == "equal":
            ops.append(("equal", "".join(a[alo:ahi])))
            continue
        region = _shift(_token_diff(tokenize("".join(a[alo:ahi])), tokenize("".join(b[blo:bhi]))))
        ops.extend((k, "".join(tokens)) for k, tokens in region)
    return _merge(ops)


@dataclass(frozen=True)
class DiffStats:
    """How many words a diff inserts and deletes (whitespace and punctuation not counted)."""

    inserted_words: int
    deleted_words: int


def diff_stats(ops: list[Op]) -> DiffStats:
    """Count the word tokens in insert and delete ops."""
    counts = {"insert": 0, "delete": 0}
    for kind, text in ops:
        if kind in counts:
            counts[kind] += sum(1 for t in tokenize(text) if _is_word(t))
    return DiffStats(counts["insert"], counts["delete"])


_ANSI = {"delete": ("\x1b[31;9m", "\x1b[0m"), "insert": ("\x1b[32m", "\x1b[0m")}
_PLAIN = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}


def _lines(ops: list[Op]) -> list[list[tuple[str, str]]]:
    lines: list[list[tuple[str, str]]] = [[]]
    for kind, text in ops:
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                if kind != "equal" and not lines[-1]:
                    lines[-1].append((kind, ""))  # a changed line break
                lines.append([])
            if part:
                lines[-1].append((kind, part))
    if not lines[-1]:
        lines.pop()
    return lines


def render_text(ops: list[Op], *, color: bool, context: int | None = 1) -> str:
    """The diff as text: changed paragraphs with ``context`` around them (None: all)."""
    marks = _ANSI if color else _PLAIN
    lines = _lines(ops)
    changed = [i for i, segs in enumerate(lines) if any(k != "equal" for k, _ in segs)]
    if context is None:
        shown = list(range(len(lines)))
    else:
        wanted: set[int] = set()
        for i in changed:
            wanted.update(range(max(0, i - context), min(len(lines), i + context + 1)))
        shown = sorted(wanted)
    out: list[str] = []
    previous = -1
    for i in shown:
        if previous >= 0 and i != previous + 1:
            out.append("…")
        previous = i
        rendered = "".join(
            text if kind == "equal" else f"{marks[kind][0]}{text}{marks[kind][1]}"
            for kind, text in lines[i]
            if text or kind == "equal"
        )
        out.append(rendered)
    return "\n".join(out)


_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font:16px/1.5 Georgia,serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}}
header{{font-family:system-ui,sans-serif;border-bottom:1px solid #ccc;margin-bottom:1em}}
.text{{white-space:pre-wrap}}
del{{background:#fdd;color:#900;text-decoration:line-through}}
ins{{background:#dfd;color:#060;text-decoration:none}}
</style></head><body>
<header><h1>{title}</h1><p><del>{from_label}</del> &rarr; <ins>{to_label}</ins></p></header>
<div class="text">{body}</div>
</body></html>
"""


def ops_to_html(ops: list[Op]) -> str:
    """The diff as escaped HTML text with ``<del>`` and ``<ins>`` around the edits."""
    tags = {"delete": "del", "insert": "ins"}
    return "".join(
        html.escape(text)
        if kind == "equal"
        else f"<{tags[kind]}>{html.escape(text)}</{tags[kind]}>"
        for kind, text in ops
    )


def render_html(ops: list[Op], *, title: str, from_label: str, to_label: str) -> str:
    """A standalone HTML page of the diff, every text escaped, no external resources."""
    return _HTML.format(
        title=html.escape(title),
        from_label=html.escape(from_label),
        to_label=html.escape(to_label),
        body=ops_to_html(ops),
    )
