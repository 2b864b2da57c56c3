"""Edit kinds, silence and summaries: each rule positively and negatively."""

from __future__ import annotations

import pytest

from archive.detect import classify, detect, is_silent, summarise
from archive.diff import word_diff
from archive.signals import UpdateSignals

BASE = (
    "The meeting took place on Wednesday.\n"
    "The minister said the talks, agreed by the president with former US President "
    "Donald Trump, had brought results.\n"
    "Both sides agreed to exchange 1,200 prisoners.\n"
    "Officials did not comment on the schedule.\n"
)


def kinds(new: str, old: str = BASE) -> list[str]:
    return classify(word_diff(old, new))


def test_seed_edit_is_a_name_edit_with_the_exact_summary():
    new = BASE.replace("former US President", "US President")
    ops = word_diff(BASE, new)
    assert classify(ops) == ["name"]
    assert summarise(ops) == '"former US President" → "US President"'


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("exchange 1,200 prisoners", "exchange 1,500 prisoners", ["number"]),
        ("exchange 1,200 prisoners", "exchange twelve hundred prisoners", ["number"]),
        ("with former US President Donald Trump", "with President Donald Trump", ["name"]),
        ("with former US President Donald Trump", "with former US President Joe Biden", ["name"]),
        ("Officials did not comment", "Officials did comment", ["negation"]),
        ("the talks, agreed", "the negotiations, agreed", ["wording"]),
        ("took place on Wednesday", "took place on Thursday", ["name"]),
    ],
)
def test_kinds(old, new, expected):
    assert old in BASE
    assert kinds(BASE.replace(old, new)) == expected


def test_added_and_removed_sentences():
    assert kinds(BASE + "A new statement was added to the page today.\n") == ["added"]
    assert kinds(BASE.replace("Both sides agreed to exchange 1,200 prisoners.\n", "")) == [
        "number",
        "removed",
    ]
    assert "added" not in kinds(BASE.replace("Wednesday", "Wednesday evening"))


def test_sentence_initial_capital_is_not_a_name():
    old = "It was agreed. talks will go on.\n"
    assert classify(word_diff(old, "It was agreed. Negotiations will go on.\n")) == ["wording"]


def test_kinds_are_unique_and_ordered():
    new = BASE.replace("1,200", "1,500").replace("did not comment", "did comment")
    new = new.replace("former US President", "US President")
    assert kinds(new) == ["number", "name", "negation"]


def test_summary_counts_more_edits_and_truncates():
    new = BASE.replace("1,200", "1,500").replace("Wednesday", "Tuesday")
    line = summarise(word_diff(BASE, new))
    assert line.startswith('"Wednesday." → "Tuesday."') and line.endswith("(+1 more edit)")
    long_old = "x " * 300 + "\n"
    assert len(summarise(word_diff(long_old, "y " * 300 + "\n"), max_len=80)) == 80


S = UpdateSignals(modified="2025-06-04T15:30:00+03:00", dates=("2025-06-04",))


@pytest.mark.parametrize(
    ("new", "new_headers", "silent"),
    [
        (S, {}, True),
        (UpdateSignals(modified="2025-06-06T10:00:00Z", dates=S.dates), {}, False),
        (UpdateSignals(modified=S.modified, dates=("2025-06-04", "2025-06-06")), {}, False),
        (UpdateSignals(S.modified, S.dates, ("Correction: the figure was amended",)), {}, False),
        (S, {"last-modified": "Fri, 06 Jun 2025 10:00:00 GMT"}, False),
        (
            S,
            {
                "last-modified": "Fri, 06 Jun 2025 10:00:00 GMT",
                "date": "Fri, 06 Jun 2025 10:00:01 GMT",
            },
            True,
        ),
        (S, {"last-modified": "garbage"}, True),
    ],
)
def test_silence(new, new_headers, silent):
    old_headers = (
        {"last-modified": "Wed, 04 Jun 2025 12:00:00 GMT"} if "last-modified" in new_headers else {}
    )
    if new_headers.get("last-modified") == "garbage":
        old_headers = {}
    assert is_silent(S, new, old_headers, new_headers) is silent


def test_a_notice_that_was_already_there_does_not_count():
    old = UpdateSignals(notices=("Updated: 5 June",))
    assert is_silent(old, old, {}, {}) is True


def test_detect_returns_edit_and_ops():
    new = BASE.replace("former US President", "US President")
    edit, ops = detect(BASE, new, S, S, {}, {})
    assert edit.kinds == ("name",) and edit.silent and edit.deleted_words == 1
    assert "".join(t for k, t in ops if k != "insert") == BASE
