"""A verification report: what was checked, and every problem found with where it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing that does not check out, and where it is."""

    what: str
    where: str

    def to_json(self) -> dict[str, str]:
        """The contract's problem object."""
        return {"what": self.what, "where": self.where}


@dataclass
class Report:
    """The result of a verification: counts of what was checked and every problem found."""

    checked: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def add(self, what: str, where: str) -> None:
        """Record a problem."""
        self.problems.append(Problem(what, where))

    def count(self, name: str, n: int = 1) -> None:
        """Count something checked."""
        self.checked[name] = self.checked.get(name, 0) + n

    def to_json(self) -> dict[str, Any]:
        """The contract's ``verify --json`` object."""
        return {
            "ok": self.ok,
            "checked": dict(self.checked),
            "problems": [p.to_json() for p in self.problems],
        }
