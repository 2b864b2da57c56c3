"""Decoding, extraction, normalisation, ignore rules and update signals."""

from __future__ import annotations

import random

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import noisy_page, sample_page

from archive.errors import ExtractError, UsageError
from archive.extract import decode_html, extract
from archive.normalise import apply_ignore, compile_ignore, normalise
from archive.signals import find_dates, update_signals

RU_PARAS = [
    "Президент провёл совещание с членами Правительства в режиме видеоконференции.",
    "Участники обсудили итоги переговоров в Стамбуле и гуманитарные вопросы.",
    "Министр иностранных дел доложил о ходе подготовки следующей встречи делегаций.",
    "Было решено продолжить работу по обмену пленными и передаче тел погибших.",
]
ZH_PARAS = [
    "总统通过视频会议主持召开政府成员会议。",
    "与会者讨论了伊斯坦布尔谈判的结果和人道主义问题。",
    "外交部长报告了下一轮代表团会谈的准备情况。",
]


def _page(paras, charset="utf-8", meta=True, lang="en"):
    head = f'<meta charset="{charset}">' if meta else ""
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<html lang='{lang}'><head>{head}<title>t</title></head><body>"
        f"<nav><a href='/'>Главная</a> <a href='/news'>Новости</a></nav>"
        f"<main><article><h1>{paras[0][:20]}</h1>{body}</article></main>"
        "<footer>© 2025</footer></body></html>"
    )


@pytest.mark.parametrize(
    ("content_type", "meta", "source"),
    [
        ("text/html; charset=windows-1251", False, "http"),
        ("text/html", True, "meta"),
        ("text/html; charset=utf-8", True, "meta"),  # a lying header falls through
        ("text/html; charset=no-such-charset", True, "meta"),
        ("text/html", False, "detected"),
    ],
)
def test_windows_1251_russian_page_decodes(content_type, meta, source):
    body = _page(RU_PARAS * 3, charset="windows-1251", meta=meta).encode("cp1251")
    text, _encoding, how = decode_html(body, content_type)
    assert how == source
    assert "совещание" in text
    result = extract(body, content_type)
    assert "Стамбуле" in result.text
    assert "Новости" not in result.text  # navigation dropped


def test_bom_wins():
    body = "\ufeff".encode() + _page(["Hello there, officials met today."] * 4).encode()
    assert decode_html(body, "text/html; charset=latin-1")[2] == "bom"


def test_chinese_page():
    result = extract(_page(ZH_PARAS * 2).encode(), "text/html; charset=utf-8")
    assert "伊斯坦布尔" in result.text
    assert result.text.count("\n") >= 3  # paragraph breaks kept


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"%PDF-1.7 ...", "application/pdf", "application/pdf"),
        (b"\x89PNG\r\n", "image/png", "image/png"),
        (b"   ", "text/html", "empty"),
        (bytes(random.Random(1).getrandbits(8) for _ in range(600)) + b"\x00", None, "binary"),
        (
            b"<html><body><script>var x = 1;</script><form></form></body></html>",
            "text/html",
            "no main text",
        ),
    ],
)
def test_extract_errors_are_one_sentence(body, content_type, message):
    with pytest.raises(ExtractError, match=message) as info:
        extract(body, content_type)
    assert str(info.value).endswith(".")


@given(st.binary(max_size=400))
@settings(max_examples=60, deadline=None)
def test_arbitrary_bytes_give_text_or_extract_error(data):
    try:
        result = extract(data, "text/html")
    except ExtractError:
        return
    assert result.text.endswith("\n")


def test_noise_only_rerenders_extract_identically():
    texts = {extract(noisy_page(seed=s), "text/html").text for s in range(6)}
    assert len(texts) == 1
    (text,) = texts
    for noise in ("Page generated", "Views", "Most read", "Home", "csrf", "Search"):
        assert noise not in text


def test_sample_pages_differ_by_one_word():
    v1 = extract(sample_page("readout-v1.html"), "text/html")
    v2 = extract(sample_page("readout-v2.html"), "text/html")
    assert v1.text.replace("former US President", "US President") == v2.text
    assert v1.signals == v2.signals
    assert "Most read" not in v1.text and "cookies" not in v1.text


def test_selector_and_its_errors():
    body = noisy_page(seed=1)
    result = extract(body, "text/html", selector="article p.byline, article h1")
    assert result.text.splitlines() == ["Meeting on the talks", "4 June 2025"]
    assert result.extractor.startswith("css/")
    with pytest.raises(ExtractError, match="matches nothing"):
        extract(body, "text/html", selector="div.nothing-here")
    with pytest.raises(UsageError, match="not a valid CSS selector"):
        extract(body, "text/html", selector="p[[[")


def test_ignore_patterns():
    body = noisy_page(seed=1)
    full = extract(body, "text/html").text
    kept = extract(body, "text/html", ignore=[r"meeting number [2-8]\.$"]).text
    assert len(kept.splitlines()) == len(full.splitlines()) - 7
    assert apply_ignore("a\nViews: 12\nb\n", [r"^Views: \d+$"]) == "a\nb\n"
    with pytest.raises(UsageError, match=r"'\('"):
        compile_ignore(["("])


def test_normalise_rules():
    raw = "  Caf\u0065\u0301\u00a0au\u200b lait  \n\n\t sec\u00adond\u2003line \r\n\u00ad"
    assert normalise(raw) == "Café au lait\nsecond line\n"
    assert normalise("") == "" and normalise(" \n \n") == ""


@given(st.text(max_size=300))
def test_normalise_is_idempotent_and_clean(text):
    once = normalise(text)
    assert normalise(once) == once
    assert "\u00a0" not in once and "  " not in once and "\n\n" not in once
    assert once == "" or (once.endswith("\n") and not once.startswith(("\n", " ")))


def _signals(html: str):
    return update_signals(lxml.html.document_fromstring(html))


def test_signals_sources():
    assert (
        _signals(
            '<html><head><meta property="article:modified_time" content="2025-06-06T10:00:00Z">'
            "</head><body><p>x</p></body></html>"
        ).modified
        == "2025-06-06T10:00:00Z"
    )
    assert (
        _signals(
            '<html><head><script type="application/ld+json">{"dateModified": "2025-06-07"}</script>'
            "</head><body><p>x</p></body></html>"
        ).modified
        == "2025-06-07"
    )
    assert (
        _signals(
            '<html><head><script type="application/ld+json">{broken</script></head>'
            "<body></body></html>"
        ).modified
        is None
    )
    dated = _signals(
        "<html><body><div class='meta'>June 4, 2025</div><time datetime='2025-06-05'>x</time>"
        "<p>The talks of 1 January 2020 were recalled.</p></body></html>"
    )
    assert dated.dates == ("2025-06-04", "2025-06-05")  # body dates are not signals
    notice = _signals(
        "<html><body><article><p>Text.</p><p><em>Correction: an earlier version misstated the "
        "figure.</em></p></article></body></html>"
    )
    assert notice.notices and notice.notices[0].startswith("Correction:")
    assert (
        _signals("<html><body><p>Page generated at 12:00. Views: 5</p></body></html>").notices == ()
    )
    assert _signals("<html><body><div>Обновлено 6 июня 2025</div></body></html>").notices == (
        "Обновлено 6 июня 2025",
    )


def test_find_dates_forms():
    assert (
        find_dates("4 June 2025; June 4, 2025; 04.06.2025; 2025-06-04; 4 июня 2025 года")
        == ["2025-06-04"] * 5
    )
