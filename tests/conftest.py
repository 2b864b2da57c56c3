"""Shared fixtures: a real HTTP server on 127.0.0.1 and the real CLI on a real archive."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from archive.cli import cli
from archive.localsite import LocalSite, Page


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A live local web server; tests put pages in ``site.pages``."""
    with LocalSite() as server:
        yield server


@dataclass
class Runner:
    """Runs the real ``readout`` CLI against one archive directory."""

    archive: Path
    env: dict[str, str]

    def __call__(
        self, *args: str, code: int | None = 0, env: dict[str, str] | None = None
    ) -> Result:
        runner = CliRunner()
        result = runner.invoke(
            cli, ["--archive", str(self.archive), *args], env={**self.env, **(env or {})}
        )
        if code is not None:
            assert result.exit_code == code, (
                f"readout {' '.join(args)} exited {result.exit_code}, expected {code}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"
            )
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self(*args, "--json", code=code).stdout)


@pytest.fixture
def readout(tmp_path: Path) -> Runner:
    """The CLI bound to a fresh archive directory (not yet initialised)."""
    # Retries are off unless a test asks: failure tests would otherwise wait out backoffs.
    env = {"NO_COLOR": "1", "READOUT_KEY_PASSPHRASE": "", "READOUT_RETRIES": "0"}
    return Runner(tmp_path / "archive", env)


@pytest.fixture
def initialised(readout: Runner) -> Runner:
    """The CLI bound to an initialised archive."""
    readout("init")
    return readout


@pytest.fixture
def serve(site: LocalSite) -> Callable[..., str]:
    """Put a page on the local server and return its URL."""

    def put(path: str, body: bytes, **kwargs: Any) -> str:
        site.pages[path] = Page(body, **kwargs)
        return site.url(path)

    return put
