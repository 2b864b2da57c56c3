"""A page's own signals that it was updated.

An edit is *silent* when the substantive text changed while none of these
changed: the page's machine-readable modification date, the dates it shows in
its header or byline, or an "updated"/"correction" notice. HTTP Last-Modified
is compared separately (see ``archive.detect``) because it comes from headers.
"""

from __future__ import annotations

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
