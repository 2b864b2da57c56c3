"""Turn a response body into the page's main text.

Decoding tries, in order: a byte-order mark, the HTTP charset, the document's
``<meta charset>``, UTF-8, then detection with charset-normalizer; a declared
charset that is unknown or does not decode strictly falls through to the next
(official sites do send windows-1251 pages labelled UTF-8). The page is parsed
once with lxml; its update signals are read from the whole page; the main text
comes from trafilatura (maintained, evaluated on news and government pages,
drops navigation, sidebars, footers, comments, scripts and forms), or from a
per-watch CSS selector; then it is normalised and ``--ignore`` lines dropped.
"""

from __future__ import annotations

import codecs
import importlib.metadata
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lxml.html
from charset_normalizer import from_bytes
from lxml import etree

from archive.errors import ExtractError, UsageError
from archive.normalise import apply_ignore, normalise
from archive.signals import UpdateSignals, update_signals


def _trafilatura() -> Any:
    """trafilatura, imported on first use: a run over unchanged pages never extracts,
    and importing it costs a tenth of a second at every start."""
    import trafilatura

    return trafilatura


EXTRACTOR = f"trafilatura/{importlib.metadata.version('trafilatura')}"

_TEXTUAL = ("text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BLOCKS = {
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "blockquote",
    "section", "article", "ul", "ol", "table", "pre", "dd", "dt", "header", "footer",
    "figcaption", "hr", "main", "aside",
}  # fmt: skip


@dataclass(frozen=True)
class Extraction:
    """A page's normalised main text, how it was decoded, and its update signals."""

    text: str
    encoding: str
    encoding_source: str  # bom | http | meta | utf-8 | detected
    extractor: str
    signals: UpdateSignals


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for part in parts[1:]:
        if part.lower().startswith("charset="):
            charset = part.split("=", 1)[1].strip().strip("\"'") or None
    return parts[0].lower(), charset


def _try(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        codecs.lookup(encoding)
        return body.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str, str]:
    """Decode a body to text: (text, encoding, source); ExtractError if it is not text."""
    media, http_charset = _media_type(content_type)
    if media and media not in _TEXTUAL and not media.startswith("text/"):
        raise ExtractError(f"the response is {media}, not an HTML page.")
    if not body.strip():
        raise ExtractError("the response body is empty.")
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = _try(body, encoding)
            if text is not None:
                return text, encoding, "bom"
    if b"\x00" in body[:8192]:
        raise ExtractError("the response holds binary data, not an HTML page.")
    text = _try(body, http_charset)
    if text is not None:
        return text, codecs.lookup(http_charset or "").name, "http"
    match = _META_CHARSET.search(body[:8192])
    if match:
        meta = match.group(1).decode("ascii", "replace")
        text = _try(body, meta)
        if text is not None:
            return text, codecs.lookup(meta).name, "meta"
    text = _try(body, "utf-8")
    if text is not None:
        return text, "utf-8", "utf-8"
    best = from_bytes(body).best()
    if best is None or best.encoding is None:
        raise ExtractError("the response is not text in any character set readout can detect.")
    return str(best), best.encoding, "detected"


def _looks_like_text(text: str) -> bool:
    sample = text[:20000]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f")
    return controls <= len(sample) // 100


def _selected_text(tree: Any, selector: str) -> str:
    try:
        matches = tree.cssselect(selector)
    except Exception as exc:  # cssselect raises SelectorError and ExpressionError
        raise UsageError(f"{selector!r} is not a valid CSS selector.") from exc
    if not matches:
        raise ExtractError(f"the selector {selector!r} matches nothing on the page.")
    parts = []
    for root in matches:
        for bad in root.xpath(".//script|.//style|.//noscript|.//form"):
            bad.drop_tree()
        for element in root.iter():
            if isinstance(element.tag, str) and element.tag in _BLOCKS:
                element.tail = "\n" + (element.tail or "")
                if element.tag != "br":
                    element.text = "\n" + (element.text or "")
        parts.append("".join(root.itertext()))
    return "\n".join(parts)


def extract(
    body: bytes,
    content_type: str | None,
    *,
    url: str | None = None,
    selector: str | None = None,
    ignore: Sequence[str] = (),
) -> Extraction:
    """Decode, parse once, read the signals, extract and normalise the main text."""
    text, encoding, source = decode_html(body, content_type)
    if not _looks_like_text(text):
        raise ExtractError("the response is not readable text (it is full of control bytes).")
    text = _XML_DECL.sub("", text, count=1)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError("the response cannot be parsed as HTML.") from exc
    signals = update_signals(tree)
    if selector:
        raw = _selected_text(tree, selector)
        extractor = f"css/{lxml.__version__}"
    else:
        raw = (
            _trafilatura().extract(
                tree,
                url=url,
                fast=True,
                include_comments=False,
                include_tables=True,
                include_images=False,
                include_links=False,
                deduplicate=False,
            )
            or ""
        )
        extractor = EXTRACTOR
    main = apply_ignore(normalise(raw), ignore)
    if not main:
        hint = "" if selector else "; try --selector CSS"
        raise ExtractError(f"no main text found on the page{hint}.")
    return Extraction(main, encoding, source, extractor, signals)
