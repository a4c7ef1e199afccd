"""`export`: the Gold corpus for consumers, as JSONL or Parquet, with its manifest and schema beside it."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import click

from scribe_lakehouse.cli_base import State, common


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "parquet"]), required=True, help="File format.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Data file to write, e.g. corpus.jsonl; <file>.manifest.json and <file>.schema.json go beside it.",
)
@click.option(
    "--no-validate", is_flag=True, help="Skip checking every row against the contract's JSON Schema."
)
@common
def export(state: State, fmt: str, out: Path, no_validate: bool) -> None:
    """Export gold.encounter_summary (sorted by summary_id) with the contract version and manifest."""
    from scribe_lakehouse.cli_render import console
    from scribe_lakehouse.export import export_corpus

    bar = state.progress()
    with bar or nullcontext():
        summary = export_corpus(
            state.root,
            fmt="jsonl" if fmt == "jsonl" else "parquet",
            out=out,
            validate=not no_validate,
            progress=bar,
        )
    if state.as_json:
        state.emit(summary)
    else:
        checked = "every row validated against" if summary.validated else "not validated against"
        console().print(
            f"Exported {summary.rows} rows ({summary.bytes / 1e6:.1f} MB) to {summary.path}; "
            f"{checked} contract {summary.contract_version}.\n"
            f"  manifest: {summary.manifest_path}\n  schema:   {summary.schema_path}"
        )
