"""The shape of the code: provenance stands alone; only the CLI imports click."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_provenance_imports_nothing_from_archive():
    offenders = [p.name for p in (ROOT / "provenance").glob("*.py") if "archive" in _imports(p)]
    assert offenders == []


def test_only_the_cli_imports_click():
    modules = list((ROOT / "archive").rglob("*.py"))
    assert len(modules) > 20
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules
        if "click" in _imports(p) and p.parent.name != "cli"
    ]
    assert offenders == []
    assert all("click" in _imports(p) for p in (ROOT / "archive" / "cli").glob("[!_]*.py"))


def test_provenance_needs_no_network_or_extractor_libraries():
    heavy = {"httpx", "trafilatura", "lxml", "sqlite_utils", "click"}
    offenders = {p.name: _imports(p) & heavy for p in (ROOT / "provenance").glob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
