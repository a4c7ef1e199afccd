"""`watch`: process new Bronze files as they land (a thin shell over scribe_lakehouse.bronze.watch)."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click

from scribe_lakehouse.cli_base import State, common


@click.command()
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=2.0,
    show_default=True,
    help="Seconds between scans.",
)
@click.option(
    "--settle",
    type=click.FloatRange(min=0.0),
    default=2.0,
    show_default=True,
    help="Seconds a new file must stay unchanged before it is processed (files still being written wait).",
)
@click.option(
    "--once", is_flag=True, help="Process what is in Bronze now (waiting for files being written), then exit."
)
@click.option("--no-gold", is_flag=True, help="Stop after Silver and validation.")
@common
def watch(state: State, interval: float, settle: float, once: bool, no_gold: bool) -> None:
    """Process new Bronze files as they land, including files copied into a cohort folder by hand.

    Checkpointed in the manifest and silver/processed_files: a restart neither skips nor repeats a file.
    Stops cleanly on Ctrl-C or SIGTERM after the current cycle. With --json, one JSON line per cycle
    that did something (with --once: one summary line).
    """
    from scribe_lakehouse.bronze.watch import CycleReport
    from scribe_lakehouse.bronze.watch import watch as run_watch

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)

    def on_cycle(report: CycleReport) -> None:
        if state.as_json and not once:
            state.emit(report)

    summary = run_watch(
        state.root,
        interval=interval,
        settle=settle,
        once=once,
        gold=not no_gold,
        stop=stop,
        on_cycle=on_cycle,
    )
    if state.as_json and once:
        state.emit(summary)
    elif not state.as_json:
        click.echo(
            f"watch: {summary.registered} file(s) registered, {summary.updated} changed, "
            f"{summary.files_parsed} parsed into Silver over {summary.cycles} scan(s)",
            err=True,
        )
    if summary.failed_runs:
        sys.exit(1)
