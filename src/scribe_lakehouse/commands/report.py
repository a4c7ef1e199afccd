"""`report`: a self-contained HTML corpus report with charts (opens offline)."""

from __future__ import annotations

from pathlib import Path

import click

from scribe_lakehouse.cli_base import State, common


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write index.html and report.json into.",
)
@common
def report(state: State, out: Path) -> None:
    """Write the corpus report: coverage, top conditions and medications, vitals, validation, lineage."""
    from scribe_lakehouse.cli_render import console
    from scribe_lakehouse.explore.report import write_report

    files = write_report(state.root, out)
    if state.as_json:
        state.emit(files)
    else:
        console().print(f"Corpus report: {files.html} ({files.bytes / 1e3:.0f} kB, opens offline)")
