"""A page's own signals that it was updated.

An edit is *silent* when the substantive text changed while none of these
changed: the page's machine-readable modification date, the dates it shows in
its header or byline, or an "updated"/"correction" notice. HTTP Last-Modified
is compared separately (see ``archive.detect``) because it comes from headers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UpdateSignals:
    """What a page says about its own revision history.

    ``modified``: the machine-readable modification date (``article:modified_time``,
    ``og:updated_time``, JSON-LD ``dateModified``, ``<meta name=last-modified>``...),
    as the page gives it, or None.
    ``dates``: dates shown in the page's header, byline or ``<time>`` elements,
    normalised to ``YYYY-MM-DD``, sorted, unique (dates inside the body text are
    not signals: editing them is an edit).
    ``notices``: normalised texts of visible "updated", "corrected", "editor's
    note" notices (also in Russian and a few other languages), sorted, unique.
    """

    modified: str | None = None
    dates: tuple[str, ...] = field(default_factory=tuple)
    notices: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, stable for canonical encoding (no floats, sorted lists)."""
        return {"modified": self.modified, "dates": list(self.dates), "notices": list(self.notices)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> UpdateSignals:
        """The inverse of ``to_json``; ``None`` gives empty signals."""
        if not data:
            return cls()
        return cls(
            modified=data.get("modified"),
            dates=tuple(data.get("dates") or ()),
            notices=tuple(data.get("notices") or ()),
        )


_META_MODIFIED = (
    "article:modified_time",
    "og:updated_time",
    "last-modified",
    "dcterms.modified",
    "dc.date.modified",
    "revised",
    "date-modified",
    "lastmod",
)
_DATEISH = re.compile(r"date|time|publish|updat|modif|byline|meta", re.I)
_NOTICE = re.compile(
    r"^\s*(updated?\b|last updated|corrected\b|correction\b|editor['’]s note|"
    r"this (article|story|page|readout) (was|has been) (amended|updated|corrected)|"
    r"обновлено|исправлено|уточнение|поправка)",
    re.I,
)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan", "января", "январь"),
            ("february", "feb", "февраля", "февраль"),
            ("march", "mar", "марта", "март"),
            ("april", "apr", "апреля", "апрель"),
            ("may", "мая", "май"),
            ("june", "jun", "июня", "июнь"),
            ("july", "jul", "июля", "июль"),
            ("august", "aug", "августа", "август"),
            ("september", "sep", "sept", "сентября", "сентябрь"),
            ("october", "oct", "октября", "октябрь"),
            ("november", "nov", "ноября", "ноябрь"),
            ("december", "dec", "декабря", "декабрь"),
        ]
    )
    for m in names
}
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")
_DMY_DOTS = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s+([A-Za-zА-Яа-яё]+)\.?,?\s+(\d{4})")
_MONTH_DAY = re.compile(r"\b([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")


def find_dates(text: str) -> list[str]:
    """Dates in ``text`` as YYYY-MM-DD: ISO, 04.06.2025, 4 June 2025, June 4, 2025, 4 июня 2025."""
    found = []
    for y, m, d in _ISO.findall(text):
        found.append((int(y), int(m), int(d)))
    for d, m, y in _DMY_DOTS.findall(text):
        found.append((int(y), int(m), int(d)))
    for d, name, y in _DAY_MONTH.findall(text):
        if name.lower() in _MONTHS:
            found.append((int(y), _MONTHS[name.lower()], int(d)))
    for name, d, y in _MONTH_DAY.findall(text):
        if name.lower() in _MONTHS:
            found.append((int(y), _MONTHS[name.lower()], int(d)))
    return [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in found if 1 <= m <= 12 and 1 <= d <= 31]


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def update_signals(tree: Any) -> UpdateSignals:
    """Read a page's own update signals from its parsed lxml HTML tree."""
    modified = None
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _META_MODIFIED or key == "datemodified":
            modified = (meta.get("content") or "").strip() or modified
    if modified is None:
        for script in tree.iter("script"):
            if (script.get("type") or "").lower() != "application/ld+json":
                continue
            try:
                data = json.loads(script.text or "")
            except ValueError:
                continue
            for item in data if isinstance(data, list) else [data]:
                if isinstance(item, dict) and isinstance(item.get("dateModified"), str):
                    modified = item["dateModified"]
    dates: set[str] = set()
    notices: set[str] = set()
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "head"):
            continue
        if element.tag == "time":
            dates.update(find_dates(element.get("datetime") or "") or find_dates(_text(element)))
            continue
        marker = f"{element.get('class') or ''} {element.get('id') or ''}"
        if marker.strip() and _DATEISH.search(marker) and len(element) < 10:
            dates.update(find_dates(_text(element)))
        if element.tag in ("p", "div", "span", "em", "strong", "small", "li", "aside", "section"):
            own = " ".join(((element.text or "") + " ".join(c.tail or "" for c in element)).split())
            candidate = own if own else ""
            if candidate and _NOTICE.search(candidate):
                notices.add(candidate[:200])
            elif len(element) <= 3 and _NOTICE.search(_text(element)[:200]):
                notices.add(_text(element)[:200])
    return UpdateSignals(
        modified=modified, dates=tuple(sorted(dates)), notices=tuple(sorted(notices))
    )
