"""Terminal rendering for the CLI: progress bars and summaries (rich). No identifiers are printed."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from scribe_lakehouse.bronze.landing import LandingSummary
    from scribe_lakehouse.outcomes import RunSummary
    from scribe_lakehouse.synth import GenerateSummary
    from scribe_lakehouse.validation import TableValidation

_CONSOLES: dict[bool, Console] = {}


def console(*, stderr: bool = False) -> Console:
    if stderr not in _CONSOLES:
        _CONSOLES[stderr] = Console(stderr=stderr)
    return _CONSOLES[stderr]


class RichProgress:
    """Progress bars on stderr, one task at a time (implements scribe_lakehouse.progress.Progress)."""

    def __init__(self) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console(stderr=True),
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:  # the error is then the one line on screen
            self._bar.live.transient = True
        self._bar.stop()

    def start(self, description: str, total: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, visible=True)
        self._task = self._bar.add_task(description, total=total or None)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)


def print_generate(summary: GenerateSummary) -> None:
    console().print(
        f"Generated {summary.patients} patients: {summary.fhir_files} FHIR bundles, "
        f"{summary.dicom_files} DICOM, {summary.dna_files} DNA files, "
        f"{summary.total_bytes / 1e6:.1f} MB in {summary.out_dir}"
    )


def print_landing(summary: LandingSummary) -> None:
    cohorts = ", ".join(summary.cohorts) or "none"
    resumed = f", {summary.resumed} resumed from an interrupted landing" if summary.resumed else ""
    source = f" from {summary.source}" if summary.source else ""
    console().print(
        f"Landed {summary.landed} file(s) ({summary.bytes / 1e6:.1f} MB){source} into cohorts {cohorts}; "
        f"{summary.skipped} already landed, {summary.rejected} rejected{resumed}."
    )


def failed_rules(result: TableValidation) -> str:
    """Each failed rule with what was observed: `patient_exists (1 orphan(s))`."""
    return ", ".join(f"{c.rule} ({c.observed})" for c in result.checks if not c.passed)


def print_validation(results: list[TableValidation]) -> None:
    table = Table(title="Silver validation")
    for col in ("table", "rows", "result", "failed rules"):
        table.add_column(col)
    for r in results:
        table.add_row(r.table, str(r.row_count), "[green]pass" if r.passed else "[red]FAIL", failed_rules(r))
    console().print(table)


def print_run(summary: RunSummary, root: Path, *, demo: bool = False) -> None:
    out = console()
    if summary.nothing_to_do:
        out.print("Bronze → Silver: nothing new or changed.")
        if summary.validation:  # an interrupted run's Silver, validated now
            print_validation(list(summary.validation))
    else:
        table = Table(
            title=f"Bronze → Silver: {summary.files_parsed} file(s), {summary.bytes_parsed / 1e6:.1f} MB"
        )
        for col in ("table", "seen", "inserted", "updated", "quarantined", "duplicates", "validation"):
            table.add_column(col, justify="right" if col not in {"table", "validation"} else "left")
        checks = {v.table: v for v in summary.validation}
        for t in summary.tables:
            v = checks.get(t.table)
            status = "" if v is None else ("[green]pass" if v.passed else "[red]FAIL " + failed_rules(v))
            table.add_row(
                t.table,
                str(t.seen),
                str(t.inserted),
                str(t.updated),
                str(t.quarantined),
                str(t.duplicates),
                status,
            )
        out.print(table)
    gold = summary.gold
    if gold is not None and gold.stats is not None:
        s = gold.stats
        verb = "rebuilt" if gold.changed else "unchanged"
        corpus = Table(title=f"Gold corpus ({verb}): gold.encounter_summary")
        corpus.add_column("measure")
        corpus.add_column("value", justify="right")
        for name, value in (
            ("encounters", s.encounters),
            ("patients", s.distinct_patients),
            ("with SOAP note", s.with_soap_note),
            ("with vitals", s.with_vitals),
            ("with labs", s.with_labs),
            ("with ECG", s.with_ecg),
            ("with imaging", s.with_imaging),
            ("with genomics", s.with_genomics),
            ("avg active conditions", s.avg_conditions_per_encounter),
            ("avg active medications", s.avg_medications_per_encounter),
        ):
            corpus.add_row(name, str(value))
        out.print(corpus)
    for note in summary.notes:
        out.print(f"Note: {note}")
    out.print(f"Done in {summary.seconds:.1f} s. Quarantined this run: {summary.quarantined}.")
    if demo:
        out.print(
            "Next:\n"
            f"  scribe-lakehouse validate --root {root}\n"
            f"  scribe-lakehouse run --root {root}          # a re-run writes nothing new\n"
            f"  scribe-lakehouse walkthrough --root {root}  # one patient from Bronze to Gold\n"
            f"  scribe-lakehouse report --root {root} --out report/  # the corpus report (HTML)\n"
            f"  the Gold corpus: {root}/gold/encounter_summary (Delta)\n"
            f"  its manifest:    {root}/gold/_metadata/corpus_manifest.json"
        )
