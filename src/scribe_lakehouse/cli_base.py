"""Shared pieces of every CLI command: --root/--json/--debug, logging set-up, one-line errors, JSON output."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from scribe_lakehouse.cli_render import RichProgress, console
from scribe_lakehouse.errors import LakehouseError
from scribe_lakehouse.lakehouse import ROOT_ENV, default_root
from scribe_lakehouse.redaction import scrub

F = TypeVar("F", bound=Callable[..., Any])

_EXIT_AT_ONCE = False  # set by the console entry point only (not by CliRunner, Dagster or tests)


def exit_at_once_when_done() -> None:
    """Let `finish` end the process without the interpreter's teardown (the console entry point)."""
    global _EXIT_AT_ONCE
    _EXIT_AT_ONCE = True


def finish(code: int = 0) -> None:
    """End a command whose work is committed and whose output is printed. From the console entry point
    the process ends at once, once stdout, stderr and the log handlers are flushed: the interpreter's
    teardown (freeing the engines' memory, up to ~1 GB after a full run, and every module) took
    0.1-0.3 s and does nothing a finished command needs. Elsewhere: a normal `sys.exit` for a failure,
    nothing for success."""
    if _EXIT_AT_ONCE:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    if code:
        sys.exit(code)


class State:
    def __init__(self, root: Path, as_json: bool, debug: bool) -> None:
        self.root = root
        self.as_json = as_json
        self.debug = debug

    def progress(self) -> RichProgress | None:
        return None if self.as_json else RichProgress()

    def emit(self, payload: object) -> None:
        """With --json, print one JSON summary on stdout."""
        click.echo(json.dumps(jsonable(payload), indent=None, default=str))


def jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        body = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in ("passed", "nothing_to_do", "failed_checks", "reconciles"):
            if hasattr(type(value), name) and isinstance(getattr(type(value), name), property):
                body[name] = jsonable(getattr(value, name))
        return body
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def configure_logging(debug: bool) -> None:
    from rich.logging import RichHandler

    handler = RichHandler(console=console(stderr=True), show_path=False, rich_tracebacks=debug)
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO, handlers=[handler], format="%(message)s", force=True
    )
    for noisy in ("deltalake", "urllib3", "botocore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def common(func: F) -> F:
    """--root, --json and --debug on every command; one clear error line instead of a traceback."""

    @click.option(
        "--root",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help=f"Lakehouse root (default ${ROOT_ENV} or ./lakehouse).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON summary on stdout.")
    @click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
    @functools.wraps(func)
    def wrapper(root: Path | None, as_json: bool, debug: bool, **kwargs: Any) -> Any:
        configure_logging(debug)
        state = State(root if root is not None else default_root(), as_json, debug)
        try:
            return func(state, **kwargs)
        except click.ClickException:
            raise  # usage errors keep click's own message and exit code 2
        except LakehouseError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            if debug:
                raise
            click.echo("error: interrupted", err=True)
            sys.exit(1)
        except Exception as exc:
            if debug:
                raise
            # an unforeseen exception's text may quote a Bronze path (a patient's name) or an id
            click.echo(
                f"error: {type(exc).__name__}: {scrub(str(exc))} (re-run with --debug for details)", err=True
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
