"""Word diff: exact reassembly, word-sized edits, per-character CJK, renderers."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.diff import diff_stats, render_html, render_text, tokenize, word_diff

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(" \n\t我们天,.'’"),
    max_size=200,
)


def _old(ops):
    return "".join(t for k, t in ops if k != "insert")


def _new(ops):
    return "".join(t for k, t in ops if k != "delete")


@given(texts)
def test_tokeniser_never_loses_characters(text):
    assert "".join(tokenize(text)) == text


@given(texts, texts)
@settings(max_examples=300)
def test_ops_reassemble_both_texts(old, new):
    ops = word_diff(old, new)
    assert _old(ops) == old and _new(ops) == new
    assert all(text for _, text in ops)
    assert all(a[0] != b[0] for a, b in itertools.pairwise(ops))


@given(
    st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "\n", " ", "."]), max_size=60),
    st.data(),
)
def test_word_edits_of_paragraph_texts_reassemble(tokens, data):
    old = "".join(tokens)
    edited = list(tokens)
    for _ in range(data.draw(st.integers(0, 4))):
        if edited:
            i = data.draw(st.integers(0, len(edited) - 1))
            edited[i] = data.draw(st.sampled_from(["omega", "", "\n", "alpha beta"]))
    new = "".join(edited)
    ops = word_diff(old, new)
    assert _old(ops) == old and _new(ops) == new


@given(texts)
def test_identical_texts_are_one_equal_op(text):
    assert word_diff(text, text) == ([("equal", text)] if text else [])


def test_tokens_follow_word_rules():
    assert tokenize("Kiev’s 1,200 don't 3.5 a-b") == [
        "Kiev’s",
        " ",
        "1,200",
        " ",
        "don't",
        " ",
        "3.5",
        " ",
        "a",
        "-",
        "b",
    ]
    assert tokenize("我们开会") == ["我", "们", "开", "会"]
    assert tokenize("Совещание  прошло") == ["Совещание", "  ", "прошло"]


def _long_text(phrase: str) -> str:
    paragraphs = [
        f"Paragraph {i}: the delegations met again and discussed item {i} of the agenda at length."
        for i in range(200)
    ]
    paragraphs[120] = (
        "The foreign minister said the talks, agreed by the president with "
        f"{phrase} Donald Trump, had already brought results."
    )
    return "\n".join(paragraphs) + "\n"


def test_one_word_edit_in_a_long_text_is_a_one_word_diff():
    old, new = _long_text("former US President"), _long_text("US President")
    ops = word_diff(old, new)
    changed = [op for op in ops if op[0] != "equal"]
    assert changed == [("delete", "former ")]
    assert diff_stats(ops).deleted_words == 1 and diff_stats(ops).inserted_words == 0


def test_replacement_is_word_sized():
    old = "At least 1,200 prisoners on each side.\n"
    new = "At least 1,500 prisoners on each side.\n"
    assert [op for op in word_diff(old, new) if op[0] != "equal"] == [
        ("delete", "1,200"),
        ("insert", "1,500"),
    ]


def test_chinese_diffs_per_character():
    ops = word_diff("我们今天开会。\n", "我们明天开会。\n")
    assert [op for op in ops if op[0] != "equal"] == [("delete", "今"), ("insert", "明")]


def test_russian_word_diff():
    ops = word_diff("Переговоры прошли успешно.\n", "Переговоры не прошли успешно.\n")
    assert [op for op in ops if op[0] != "equal"] == [("insert", "не ")]


def test_large_scattered_edits_reassemble():
    old_lines = [f"Sentence {i} about the meeting and its outcome." for i in range(3000)]
    new_lines = list(old_lines)
    for i in range(0, 3000, 97):
        new_lines[i] = new_lines[i].replace("meeting", "summit")
    old, new = "\n".join(old_lines), "\n".join(new_lines)
    ops = word_diff(old, new)
    assert _old(ops) == old and _new(ops) == new
    assert diff_stats(ops).inserted_words == len(range(0, 3000, 97))


def test_render_text_plain_and_colour():
    ops = word_diff(
        "One.\nTwo with former title.\nThree.\nFour.\n", "One.\nTwo with title.\nThree.\nFour.\n"
    )
    plain = render_text(ops, color=False, context=0)
    assert plain == "Two with [-former -]title."
    assert render_text(ops, color=False, context=1).splitlines() == [
        "One.",
        "Two with [-former -]title.",
        "Three.",
    ]
    coloured = render_text(ops, color=True, context=0)
    assert "\x1b[31;9mformer \x1b[0m" in coloured and "[-" not in coloured
    assert len(render_text(ops, color=False, context=None).splitlines()) == 4


def test_render_text_shows_deleted_and_inserted_lines_and_gaps():
    old = "\n".join(f"L{i}" for i in range(10)) + "\n"
    new = old.replace("L2\n", "").replace("L8\n", "L8\nNew line\n")
    text = render_text(word_diff(old, new), color=False, context=0)
    assert "[-L2-]" in text and "{+New line+}" in text and "…" in text


def test_render_html_escapes_everything():
    ops = word_diff("<script>alert(1)</script> old\n", "<script>alert(1)</script> new\n")
    page = render_html(ops, title="<b>t</b>", from_label="v1 & co", to_label="v2")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;t&lt;/b&gt;" in page and "v1 &amp; co" in page
    assert re.search(r"<del>old</del><ins>new</ins>", page)
