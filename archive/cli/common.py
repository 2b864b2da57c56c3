"""Shared pieces of the command line: the ``readout`` group, error mapping, helpers.

``handle_errors`` is the one place where library exceptions become the
contract's exit codes.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import platformdirs

from archive import __version__, catalogue
from archive.errors import ReadoutError, UsageError
from archive.fetch import FetchConfig, user_agent
from archive.repo import Archive
from archive.timeutil import parse_duration

EXIT_ERROR, EXIT_USAGE, EXIT_FETCH_FAILED, EXIT_VERIFY_FAILED = 1, 2, 3, 4
PASSPHRASE_ENV = "READOUT_KEY_PASSPHRASE"

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int) -> None:
    """Print one sentence on stderr and exit with ``code``."""
    click.echo(f"readout: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Map library exceptions to one stderr sentence and the contract's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as exc:
            fail(str(exc), EXIT_USAGE)
        except ReadoutError as exc:
            fail(str(exc), EXIT_ERROR)
        except KeyboardInterrupt:
            fail("interrupted; everything recorded so far is kept and verifiable.", EXIT_ERROR)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except OSError as exc:
            fail(f"{exc.strerror or exc} ({exc.filename or 'no file'}).", EXIT_ERROR)
        except Exception as exc:  # a bug: say so plainly, traceback only on request
            if os.environ.get("READOUT_DEBUG"):
                traceback.print_exc()
            fail(
                f"internal error ({type(exc).__name__}: {exc}); set READOUT_DEBUG=1 for details "
                "and please report it.",
                EXIT_ERROR,
            )

    return wrapper  # type: ignore[return-value]


def archive_dir(ctx: click.Context) -> Path:
    """Where the archive is: --archive, else $READOUT_ARCHIVE, else the user data dir."""
    value = ctx.obj.get("archive") if ctx.obj else None
    if value:
        return Path(value)
    if os.environ.get("READOUT_ARCHIVE"):
        return Path(os.environ["READOUT_ARCHIVE"])
    return Path(platformdirs.user_data_dir("readout"))


def open_archive(ctx: click.Context) -> Archive:
    """Open the archive the command line names."""
    return Archive.open(archive_dir(ctx))


def passphrase() -> bytes | None:
    """The signing key's passphrase from $READOUT_KEY_PASSPHRASE, if set."""
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


def echo_json(value: Any) -> None:
    """Print a value as indented UTF-8 JSON."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


class Duration(click.ParamType):
    """A click type for durations like 15m, 6h, 1d."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(str(value))
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="readout")
@click.option(
    "--archive",
    "archive_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Archive directory (default: $READOUT_ARCHIVE, else the user data directory).",
)
@click.option(
    "--webhook",
    metavar="URL",
    envvar="READOUT_WEBHOOK",
    help="POST each newly detected change as JSON to this URL ($READOUT_WEBHOOK).",
)
@click.pass_context
def cli(ctx: click.Context, archive_dir: Path | None, webhook: str | None) -> None:
    """Keep an honest, verifiable record of official pages as they change."""
    ctx.ensure_object(dict)
    ctx.obj["archive"] = archive_dir
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        raise click.BadParameter("the webhook must be an http(s) URL.", param_hint="--webhook")
    ctx.obj["webhook"] = webhook


def fetch_config(archive: Archive, **options: Any) -> FetchConfig:
    """Fetch settings from the command line, with the archive's contact in the User-Agent."""
    contact = catalogue.get_meta(archive.db, "contact")
    return FetchConfig(user_agent=user_agent(contact), **options)


def render_report(report: dict[str, Any], as_json: bool) -> None:
    """Print a verification report (``verify``, ``verify-bundle``); exit 4 if it failed."""
    if as_json:
        echo_json(report)
    else:
        for problem in report["problems"]:
            click.echo(f"PROBLEM  {problem['where']}: {problem['what']}")
        for note in report.get("notes", []):
            click.echo(f"note: {note}")
        counts = ", ".join(f"{n} {name}" for name, n in report["checked"].items())
        verdict = "OK" if report["ok"] else f"FAILED ({len(report['problems'])} problem(s))"
        click.echo(f"{verdict}: checked {counts}.")
    if not report["ok"]:
        sys.exit(EXIT_VERIFY_FAILED)


def render_imports(outcomes: list[Any], as_json: bool, source: str) -> None:
    """Print what an import recorded: JSON objects, or one line per capture."""
    if as_json:
        echo_json([o.to_json() for o in outcomes])
        return
    for o in outcomes:
        detail = o.error if o.status == "failed" else f"v{o.version}"
        extra = f"  {o.summary}" if o.summary else ""
        click.echo(f"{o.status:<10} {o.observed_at}  {o.url}  {detail}{extra}")
    click.echo(f"{len(outcomes)} capture(s) imported from {source}.", err=True)


def fetch_options(func: F) -> F:
    """The fetch options ``snapshot`` and ``run`` share: timeout, concurrency, retries."""
    options = [
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=30.0,
            show_default=True,
            help="Seconds to wait for each page.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(min=1, max=256),
            default=16,
            show_default=True,
            help="Pages fetched at once (never more than one at a time per host).",
        ),
        click.option(
            "--retries",
            type=click.IntRange(min=0, max=10),
            default=2,
            show_default=True,
            envvar="READOUT_RETRIES",
            help="Retries after a refused connection, a timeout, 429 or 5xx (backoff, "
            "Retry-After).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func
