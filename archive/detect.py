"""Describe an edit: its kinds, whether it was silent, and a one-line summary.

The diff is split into hunks (runs of insert/delete ops between equal text).
Each hunk gets kinds by these rules, and an edit's kinds are the union, in
the fixed order ``number, name, negation, added, removed, wording``:

- ``number``: a changed word holds a digit or is a number word (three, million, тысяча).
- ``name``: a changed word is capitalised and not the first word of a sentence
  (a proper noun or a title), or is a title qualifier (former, acting, late,
  deputy, ex, so-called...) directly before a capitalised phrase, since that
  changes how a person or body is named: deleting "former" before "US
  President Donald Trump" is a ``name`` edit.
- ``negation``: a negation word (not, no, never, n't, without, не, нет, ни...)
  is inserted or deleted.
- ``added`` / ``removed``: a hunk only inserts / only deletes a whole line, or
  a sentence of at least five words ending in . ! or ?.
- ``wording``: any hunk none of the rules above describes.

An edit is *silent* when none of the page's own update signals changed: its
machine-readable modification date, the dates in its header or byline, a new
"updated"/"correction" notice, or HTTP Last-Modified. A Last-Modified within
two seconds of the response's own Date header is "now" stamping by the server,
not a signal, and is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from archive.diff import Op, diff_stats, tokenize, word_diff
from archive.signals import UpdateSignals

KINDS = ("number", "name", "negation", "added", "removed", "wording")

_NUMBER_WORDS = frozenset(
    (
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty "
        "sixty seventy eighty ninety hundred thousand million billion trillion dozen "
        "dozens half first second third ноль один одна два две три четыре пять шесть семь "
        "восемь девять десять сто тысяча тысячи тысяч миллион миллиона миллионов миллиард"
    ).split()
)
_NEGATIONS = frozenset(
    (
        "not no never none nor neither nobody nothing nowhere without cannot n't не нет "
        "ни никогда никто ничто ничего нельзя без"
    ).split()
)
_QUALIFIERS = frozenset(
    (
        "former acting late deputy ex vice interim outgoing incumbent self-proclaimed so- "
        "called alleged then current elected president-elect illegitimate first бывший "
        "бывшего исполняющий временно самопровозглашённый так называемый нелегитимный"
    ).split()
)
_SENTENCE_END = re.compile(r"[.!?:;•–—\-\n\"“«(]\s*$|^\s*$")


@dataclass(frozen=True)
class Edit:
    """What changed between two versions, as recorded in a change."""

    kinds: tuple[str, ...]
    silent: bool
    summary: str
    inserted_words: int
    deleted_words: int


@dataclass(frozen=True)
class _Hunk:
    before: str  # equal text before the hunk
    deleted: str
    inserted: str
    after: str  # equal text after the hunk


def _hunks(ops: list[Op]) -> list[_Hunk]:
    hunks = []
    i = 0
    while i < len(ops):
        if ops[i][0] == "equal":
            i += 1
            continue
        deleted, inserted = [], []
        before = ops[i - 1][1] if i and ops[i - 1][0] == "equal" else ""
        while i < len(ops) and ops[i][0] != "equal":
            (deleted if ops[i][0] == "delete" else inserted).append(ops[i][1])
            i += 1
        after = ops[i][1] if i < len(ops) else ""
        hunks.append(_Hunk(before, "".join(deleted), "".join(inserted), after))
    return hunks


def _words(text: str) -> list[str]:
    return [t for t in tokenize(text) if any(c.isalnum() for c in t)]


def _is_number(word: str) -> bool:
    return any(c.isdigit() for c in word) or word.lower() in _NUMBER_WORDS


def _is_negation(word: str) -> bool:
    low = word.lower()
    return low in _NEGATIONS or low.endswith(("n't", "n’t"))


def _capitalised_run(text: str, before: str) -> bool:
    """True if ``text`` holds a capitalised word that does not start a sentence."""
    context = before
    for token in tokenize(text):
        if (
            any(c.isalnum() for c in token)
            and token[0].isupper()
            and not _SENTENCE_END.search(context)
        ):
            return True
        context += token
    return False


def _next_word(text: str) -> str:
    words = _words(text)
    return words[0] if words else ""


def _whole(text: str, context_before: str, context_after: str) -> bool:
    """A hunk side is a whole line, or a full sentence of at least five words."""
    if not text.strip():
        return False
    line = (context_before == "" or context_before.endswith("\n")) and (
        text.endswith("\n") or context_after == "" or context_after.startswith("\n")
    )
    sentence = len(_words(text)) >= 5 and bool(re.search(r"[.!?]\s*$", text.strip()))
    return line or sentence


def _hunk_kinds(hunk: _Hunk) -> set[str]:
    kinds: set[str] = set()
    changed = _words(hunk.deleted) + _words(hunk.inserted)
    if any(_is_number(w) for w in changed):
        kinds.add("number")
    if any(_is_negation(w) for w in changed):
        kinds.add("negation")
    follower = _next_word(hunk.after)
    qualifier = any(w.lower() in _QUALIFIERS for w in changed) and follower[:1].isupper()
    if (
        qualifier
        or _capitalised_run(hunk.deleted, hunk.before)
        or _capitalised_run(hunk.inserted, hunk.before)
    ):
        kinds.add("name")
    if not hunk.deleted and _whole(hunk.inserted, hunk.before, hunk.after):
        kinds.add("added")
    if not hunk.inserted and _whole(hunk.deleted, hunk.before, hunk.after):
        kinds.add("removed")
    if not kinds:
        kinds.add("wording")
    return kinds


def classify(ops: list[Op]) -> list[str]:
    """The kinds of an edit, in canonical order."""
    found: set[str] = set()
    for hunk in _hunks(ops):
        found |= _hunk_kinds(hunk)
    return [k for k in KINDS if k in found]


def _context(text: str, count: int, *, from_end: bool) -> str:
    tokens = tokenize(text.split("\n")[-1] if from_end else text.split("\n")[0])
    if from_end:
        tokens = tokens[::-1]
    taken: list[str] = []
    words = 0
    for token in tokens:
        if any(c.isalnum() for c in token):
            if words == count:
                break
            words += 1
        taken.append(token)
    if from_end:
        taken = taken[::-1]
    return "".join(taken)


def _quote(text: str) -> str:
    return '"' + " ".join(text.split()) + '"'


def summarise(ops: list[Op], *, max_len: int = 200) -> str:
    """One line quoting the first edit: ``"old phrase" → "new phrase"`` (+N more edits)."""
    hunks = _hunks(ops)
    if not hunks:
        return "no change"
    h = hunks[0]
    after = _context(h.after, 2, from_end=False)
    if after.strip() and not (h.deleted + h.inserted).endswith("\n"):
        old, new = h.deleted + after, h.inserted + after
    else:
        before = _context(h.before, 2, from_end=True)
        old, new = before + h.deleted, before + h.inserted
    line = f"{_quote(old)} → {_quote(new)}"
    if len(hunks) > 1:
        line += f" (+{len(hunks) - 1} more edit{'s' if len(hunks) > 2 else ''})"
    return line if len(line) <= max_len else line[: max_len - 1] + "…"


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _last_modified_signal(headers: Mapping[str, str]) -> datetime | None:
    modified = _http_date(headers.get("last-modified"))
    served = _http_date(headers.get("date"))
    if modified is None:
        return None
    if served is not None and abs((served - modified).total_seconds()) <= 2:
        return None  # the server stamps every response "now"
    return modified


def is_silent(
    old: UpdateSignals,
    new: UpdateSignals,
    old_headers: Mapping[str, str],
    new_headers: Mapping[str, str],
) -> bool:
    """True when the page gave none of its own signals that it was updated."""
    if old.modified != new.modified or old.dates != new.dates:
        return False
    if set(new.notices) - set(old.notices):
        return False
    old_lm, new_lm = _last_modified_signal(old_headers), _last_modified_signal(new_headers)
    return not (new_lm is not None and old_lm != new_lm)


def detect(
    old_text: str,
    new_text: str,
    old_signals: UpdateSignals,
    new_signals: UpdateSignals,
    old_headers: Mapping[str, str],
    new_headers: Mapping[str, str],
) -> tuple[Edit, list[Op]]:
    """Diff two texts once and describe the edit."""
    ops = word_diff(old_text, new_text)
    stats = diff_stats(ops)
    edit = Edit(
        kinds=tuple(classify(ops)),
        silent=is_silent(old_signals, new_signals, old_headers, new_headers),
        summary=summarise(ops),
        inserted_words=stats.inserted_words,
        deleted_words=stats.deleted_words,
    )
    return edit, ops
