"""JSON Schemas (draft 2020-12) for every record readout writes; shipped as package data.

``load(name)`` returns a schema by file stem, e.g. ``load("observation")``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

NAMES = (
    "observation",
    "snapshot",
    "history",
    "diff",
    "changes",
    "verify",
    "watch-list",
    "init",
    "checkpoint",
    "checkpoints",
    "prove",
    "consistency",
    "keys",
    "key-rotate",
    "key-rotation",
    "manifest",
    "bundle-entry",
    "bundle-change",
    "bundle-version",
    "verify-bundle",
    "export",
    "report",
    "timestamp-results",
    "tsa",
)


@cache
def load(name: str) -> dict[str, Any]:
    """The schema ``name`` (a stem from NAMES) as a dict."""
    if name not in NAMES:
        raise KeyError(f"no schema named {name!r}; known: {', '.join(NAMES)}")
    text = (resources.files("schemas") / f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
