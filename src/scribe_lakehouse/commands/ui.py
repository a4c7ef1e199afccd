"""`scribe-lakehouse ui`: the Dagster UI for the current root on 127.0.0.1."""

from __future__ import annotations

import logging

import click

from scribe_lakehouse.cli_base import State, common

log = logging.getLogger("scribe_lakehouse.cli")


@click.command()
@click.option(
    "--port", type=click.IntRange(1, 65535), default=3000, show_default=True, help="Port on 127.0.0.1."
)
@common
def ui(state: State, port: int) -> None:
    """Start the Dagster UI (asset graph, checks, cohort sensor) for this root; Ctrl-C or SIGTERM stops it."""
    from scribe_lakehouse.orchestration.launch import exec_ui, prepare

    launch = prepare(state.root, port=port)
    log.info(
        "Dagster UI for %s at %s (instance %s); Ctrl-C stops it", launch.root, launch.url, launch.dagster_home
    )
    exec_ui(launch)
