"""`scribe-lakehouse` command line: a thin shell over the library. Exit codes: 0 ok, 1 failure, 2 usage."""

from __future__ import annotations

import logging
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

import click

from scribe_lakehouse import __version__
from scribe_lakehouse.cli_base import State, common, exit_at_once_when_done, finish
from scribe_lakehouse.cli_render import (
    console,
    print_generate,
    print_landing,
    print_run,
    print_validation,
)
from scribe_lakehouse.runtime import decline_pandas

log = logging.getLogger("scribe_lakehouse.cli")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scribe-lakehouse")
def cli() -> None:
    """scribe-lakehouse: Synthea FHIR R4 → Bronze → 10 Silver Delta tables → the Gold encounter corpus."""


@cli.command()
@click.option("--patients", "-n", type=click.IntRange(min=1), required=True, help="Number of patients.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Output folder.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--dicom", is_flag=True, help="Also write DICOM files for the MR brain studies.")
@common
def generate(state: State, patients: int, out: Path, seed: int, dicom: bool) -> None:
    """Write a Coherent-shaped source folder (fhir/, dicom/, dna/)."""
    from scribe_lakehouse.synth import generate as run_generate

    bar = state.progress()
    if bar:
        bar.start("Generating patients", patients)
    with bar or nullcontext():
        summary = run_generate(
            out, patients=patients, seed=seed, dicom=dicom, progress=bar.advance if bar else None
        )
    state.emit(summary) if state.as_json else print_generate(summary)


@cli.command()
@click.option(
    "--source",
    default=None,
    metavar="DIR|s3://BUCKET/PREFIX",
    help="Local folder or s3:// prefix, read anonymously (AWS_ENDPOINT_URL for other S3 stores). "
    "Default: the Coherent bucket s3://synthea-open-data/coherent/unzipped/.",
)
@click.option(
    "--cohorts", type=click.IntRange(min=1), default=3, show_default=True, help="New cohorts to deal into."
)
@click.option(
    "--max-files",
    type=click.IntRange(min=1),
    default=None,
    help="Land at most N files of each kind (FHIR: N patient bundles plus the reference bundles).",
)
@click.option("--with-dicom", is_flag=True, help="Also land dicom/*.dcm.")
@click.option("--with-csv", is_flag=True, help="Also land csv/*.csv.")
@click.option("--with-dna", is_flag=True, help="Also land dna/*.csv.")
@click.option(
    "--workers", type=click.IntRange(min=1, max=64), default=None, help="Parallel downloads (S3 8, local 4)."
)
@common
def ingest(
    state: State,
    source: str | None,
    cohorts: int,
    max_files: int | None,
    with_dicom: bool,
    with_csv: bool,
    with_dna: bool,
    workers: int | None,
) -> None:
    """Land files from a local folder or an S3 prefix into Bronze (parallel, resumable, sha256 manifest)."""
    from scribe_lakehouse.bronze.landing import Kind, land

    kinds: list[Kind] = ["fhir"]
    kinds += ["dicom"] if with_dicom else []
    kinds += ["csv"] if with_csv else []
    kinds += ["dna"] if with_dna else []
    bar = state.progress()
    with bar or nullcontext():
        summary = land(
            source,
            state.root,
            kinds=kinds,
            cohorts=cohorts,
            max_files=max_files,
            workers=workers,
            progress=bar,
        )
    state.emit(summary) if state.as_json else print_landing(summary)
    finish()


def _spark_remote(value: str | None) -> str | None:
    if value is not None and not value.startswith("sc://"):
        raise click.BadParameter("must look like sc://host:port")
    return value


@cli.command()
@click.option("--cohort", "cohorts", multiple=True, help="Only these cohorts (repeatable).")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True)
@click.option(
    "--spark-remote",
    metavar="sc://HOST:PORT",
    default=None,
    callback=lambda _ctx, _param, value: _spark_remote(value),
    help="Spark Connect server for --engine spark (default: a local Sail server, started and stopped).",
)
@click.option("--no-gold", is_flag=True, help="Stop after Silver and validation.")
@common
def run(state: State, cohorts: tuple[str, ...], engine: str, spark_remote: str | None, no_gold: bool) -> None:
    """Bronze → Silver (only new or changed files) → validation → Gold."""
    if spark_remote and engine != "spark":
        raise click.UsageError("--spark-remote needs --engine spark")
    bar = state.progress()
    if engine == "spark":
        from scribe_lakehouse.spark.pipeline import run_on_spark

        with bar or nullcontext():
            summary = run_on_spark(
                state.root, remote=spark_remote, cohorts=cohorts or None, gold_step=not no_gold, progress=bar
            )
    else:
        from scribe_lakehouse.local import parse_pool

        decline_pandas()  # the local engine never needs it (pyspark's Connect client does)
        # the parse workers are forked first, before the engines load and the progress bar starts a thread
        with parse_pool.prestart() as warm, bar or nullcontext():
            from scribe_lakehouse.local.pipeline import run as run_pipeline

            summary = run_pipeline(
                state.root, cohorts=cohorts or None, gold=not no_gold, progress=bar, warm=warm
            )
    state.emit(summary) if state.as_json else print_run(summary, state.root)
    finish(0 if summary.passed else 1)


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even when Silver has not moved.")
@common
def gold(state: State, force: bool) -> None:
    """Rebuild gold.encounter_summary and its corpus manifest from Silver."""
    from scribe_lakehouse.local.pipeline import gold as run_gold

    decline_pandas()
    result = run_gold(state.root, force=force)
    if state.as_json:
        state.emit(result)
    else:
        verb = "rebuilt" if result.changed else "unchanged"
        console().print(f"Gold {verb}: {result.row_count} rows (version {result.version})")
    finish()


@cli.command()
@common
def validate(state: State) -> None:
    """Run every Silver validation rule; exit 1 when one fails."""
    from scribe_lakehouse.local.pipeline import validate as run_validate

    results = run_validate(state.root)
    if state.as_json:
        state.emit({"passed": all(r.passed for r in results), "tables": results})
    else:
        print_validation(results)
    if not all(r.passed for r in results):
        sys.exit(1)


@cli.command()
@click.option("--patients", "-n", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@common
def demo(state: State, patients: int, seed: int) -> None:
    """Generate a Coherent-shaped corpus, land it, build Silver and Gold, print the corpus summary."""
    from scribe_lakehouse.bronze.landing import MANIFEST, land
    from scribe_lakehouse.local.pipeline import run as run_pipeline
    from scribe_lakehouse.synth import generate as run_generate

    bar = state.progress()
    with bar or nullcontext():
        if (state.root / MANIFEST).exists():
            log.info("this root already holds a lakehouse: running it instead of generating a new corpus")
        else:
            with tempfile.TemporaryDirectory(prefix="scribe-demo-") as tmp:
                if bar:
                    bar.start("Generating patients", patients)
                run_generate(
                    Path(tmp), patients=patients, seed=seed, dicom=True, progress=bar.advance if bar else None
                )
                if bar:
                    bar.start("Landing files", 0)
                land(
                    Path(tmp),
                    state.root,
                    kinds=["fhir", "dicom", "dna"],
                    progress=bar.advance if bar else None,
                )
        summary = run_pipeline(state.root, progress=bar)
    state.emit(summary) if state.as_json else print_run(summary, state.root, demo=True)
    if not summary.passed:
        sys.exit(1)


# Commands that live in their own modules register here, one line each.
from scribe_lakehouse.commands.docs import docs  # noqa: E402
from scribe_lakehouse.commands.export import export  # noqa: E402
from scribe_lakehouse.commands.report import report  # noqa: E402
from scribe_lakehouse.commands.ui import ui  # noqa: E402
from scribe_lakehouse.commands.walkthrough import walkthrough  # noqa: E402
from scribe_lakehouse.commands.watch import watch as _watch  # noqa: E402

cli.add_command(docs)
cli.add_command(export)
cli.add_command(report)
cli.add_command(ui)
cli.add_command(walkthrough)
cli.add_command(_watch)


def main() -> None:
    """The CLI (scribe_lakehouse.__main__.main, the entry point, tunes the process first)."""
    exit_at_once_when_done()
    cli(prog_name="scribe-lakehouse")
