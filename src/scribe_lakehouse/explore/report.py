"""The corpus report: what the Gold corpus holds, as numbers and charts in one offline HTML file.

`collect` reads Gold, a few Silver and system tables and the corpus manifest into a `ReportData` of
aggregates (never a patient id, name or note); `report_html.render` turns it into HTML; `write_report`
does both and writes `<out>/index.html` plus `<out>/report.json` (the same numbers, for machines).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from scribe_lakehouse.corpus_manifest import CorpusManifest
from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.explore.render import VITALS
from scribe_lakehouse.explore.svg import Bar
from scribe_lakehouse.lakehouse import Lakehouse
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, IMAGING_STUDY, INGEST_LOG, QUARANTINE
from scribe_lakehouse.storage import delta
from scribe_lakehouse.validation import CheckResult

log = logging.getLogger(__name__)

TOP_N = 12
HISTOGRAM_BINS = 16


@dataclass(frozen=True)
class Distribution:
    """One numeric measure across encounters: percentiles and a histogram."""

    name: str
    unit: str
    count: int
    p05: float | None
    median: float | None
    p95: float | None
    bins: tuple[Bar, ...]


@dataclass(frozen=True)
class TableCheck:
    """The latest validation of one Silver table (from silver.ingest_log)."""

    table: str
    row_count: int
    passed: bool
    failed_checks: tuple[str, ...]
    rules: tuple[CheckResult, ...]
    checked_at: str


@dataclass(frozen=True)
class ReportData:
    """Every number and series the report shows."""

    manifest: CorpusManifest
    gold_version: int
    generated_at: str
    coverage: tuple[Bar, ...]
    top_conditions: tuple[Bar, ...]
    top_medications: tuple[Bar, ...]
    encounter_types: tuple[Bar, ...]
    encounters_per_year: tuple[Bar, ...]
    age_bands: tuple[Bar, ...]
    genders: tuple[Bar, ...]
    vitals: tuple[Distribution, ...]
    imaging: tuple[Bar, ...]
    validation: tuple[TableCheck, ...]
    quarantine: tuple[Bar, ...]


def _frame(uri: str) -> pl.DataFrame:
    frame = pl.from_arrow(delta.read_arrow(uri))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _pct(part: int, whole: int) -> str:
    return f"{part:,} ({part / whole:.1%})" if whole else f"{part:,}"


def coverage_bars(manifest: CorpusManifest) -> tuple[Bar, ...]:
    """Encounters with each kind of content, straight from the manifest's corpus_stats."""
    s = manifest.corpus_stats
    items = (
        ("SOAP note", s.with_soap_note),
        ("vitals", s.with_vitals),
        ("labs", s.with_labs),
        ("ECG", s.with_ecg),
        ("imaging", s.with_imaging),
        ("genomics", s.with_genomics),
    )
    return tuple(Bar(name, n, _pct(n, s.encounters)) for name, n in items)


def _top(frame: pl.DataFrame, column: str, n: int = TOP_N) -> tuple[Bar, ...]:
    """Most frequent list items of `column`: encounters where the item appears, and distinct patients."""
    items = (
        frame.select("patient_id", column)
        .explode(column)
        .drop_nulls(column)
        .group_by(column)
        .agg(encounters=pl.len(), patients=pl.col("patient_id").n_unique())
        .sort(["encounters", column], descending=[True, False])
        .head(n)
    )
    return tuple(
        Bar(str(r[column]), int(r["encounters"]), f"{r['encounters']:,} enc · {r['patients']:,} pts")
        for r in items.iter_rows(named=True)
    )


def _counts(
    frame: pl.DataFrame, column: str, *, n: int | None = TOP_N, by_label: bool = False
) -> tuple[Bar, ...]:
    counted = frame.group_by(column).agg(count=pl.len())
    counted = counted.sort(column) if by_label else counted.sort(["count", column], descending=[True, False])
    if n is not None:
        counted = counted.head(n)
    return tuple(
        Bar("(none)" if r[column] in (None, "") else str(r[column]), int(r["count"]))
        for r in counted.iter_rows(named=True)
    )


def _age_bands(gold: pl.DataFrame) -> tuple[Bar, ...]:
    """Patients by age at their latest encounter, in 10-year bands."""
    latest = (
        gold.sort("encounter_date", "summary_id")
        .group_by("patient_id")
        .agg(pl.col("patient_age").drop_nulls().last())
        .drop_nulls("patient_age")
        .with_columns(band=(pl.col("patient_age") // 10 * 10).cast(pl.Int32))
    )
    counted = latest.group_by("band").agg(count=pl.len()).sort("band")
    return tuple(Bar(f"{r['band']}-{r['band'] + 9}", int(r["count"])) for r in counted.iter_rows(named=True))


def nice_step(span: float, bins: int) -> float:
    """A round bin width (1, 2, 2.5 or 5 times a power of ten) giving at most about `bins` bins."""
    raw = span / bins
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))


def _histogram(values: pl.Series, bins: int) -> tuple[Bar, ...]:
    """Counts per round-width bin from the smallest to the largest value; labels are lower edges."""
    low, high = float(values.min()), float(values.max())  # type: ignore[arg-type]
    if high <= low:
        return (Bar(f"{low:g}", float(values.len()), f"{values.len():,} at {low:g}"),)
    step = nice_step(high - low, bins)
    start = math.floor(low / step) * step
    count = math.floor((high - start) / step) + 1
    index = ((values - start) / step).floor().clip(0, count - 1).cast(pl.Int32)
    by_bin = {int(b): int(c) for b, c in index.value_counts().iter_rows()}
    edges = [round(start + i * step, 6) for i in range(count + 1)]
    return tuple(
        Bar(f"{edges[i]:g}", by_bin.get(i, 0), f"{by_bin.get(i, 0):,} in [{edges[i]:g}, {edges[i + 1]:g})")
        for i in range(count)
    )


def _vitals(gold: pl.DataFrame) -> tuple[Distribution, ...]:
    out = []
    for member, label, unit in VITALS:
        values = gold.get_column("recent_vitals").struct.field(member).drop_nulls().cast(pl.Float64)
        if values.len() == 0:
            out.append(Distribution(label, unit, 0, None, None, None, ()))
            continue
        out.append(
            Distribution(
                label,
                unit,
                values.len(),
                float(values.quantile(0.05, "linear") or 0.0),
                float(values.median() or 0.0),  # type: ignore[arg-type]
                float(values.quantile(0.95, "linear") or 0.0),
                _histogram(values, HISTOGRAM_BINS),
            )
        )
    return tuple(out)


def _validation(lh: Lakehouse) -> tuple[TableCheck, ...]:
    if not delta.exists(lh.uri(INGEST_LOG)):
        return ()
    log_rows = _frame(lh.uri(INGEST_LOG))
    if log_rows.height == 0:
        return ()
    latest = log_rows.sort("ingest_timestamp").group_by("table", maintain_order=True).last()
    checks = []
    for r in latest.sort("table").iter_rows(named=True):
        detail = json.loads(r["detail_json"] or "[]")
        checks.append(
            TableCheck(
                table=str(r["table"]),
                row_count=int(r["row_count"]),
                passed=bool(r["passed"]),
                failed_checks=tuple(r["failed_checks"] or ()),
                rules=tuple(
                    CheckResult(str(d["rule"]), bool(d["passed"]), str(d["observed"]), str(d["expected"]))
                    for d in detail
                ),
                checked_at=r["ingest_timestamp"].isoformat(timespec="seconds"),
            )
        )
    return tuple(checks)


def collect(root: Path) -> ReportData:
    """Read what the report shows from the lakehouse at `root`."""
    lh = Lakehouse(root)
    gold_uri = lh.uri(GOLD_ENCOUNTER_SUMMARY)
    manifest = CorpusManifest.read(lh.corpus_manifest)
    gold_version = delta.version(gold_uri)
    if manifest is None or gold_version is None:
        raise ConfigError("no Gold corpus under this root: run `run` (or `demo`) first")
    gold = _frame(gold_uri)
    imaging = _frame(lh.uri(IMAGING_STUDY)) if delta.exists(lh.uri(IMAGING_STUDY)) else pl.DataFrame()
    quarantine = _frame(lh.uri(QUARANTINE)) if delta.exists(lh.uri(QUARANTINE)) else pl.DataFrame()
    if imaging.height:
        imaging = imaging.with_columns(
            kind=pl.concat_str(
                pl.col("modality").fill_null("?"), pl.col("body_site_display").fill_null("?"), separator=" · "
            )
        )
    patients = gold.unique("patient_id").with_columns(pl.col("patient_gender").fill_null("unknown"))
    years = gold.drop_nulls("encounter_date").with_columns(year=pl.col("encounter_date").dt.year())
    return ReportData(
        manifest=manifest,
        gold_version=gold_version,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        coverage=coverage_bars(manifest),
        top_conditions=_top(gold, "active_conditions"),
        top_medications=_top(gold, "active_medications"),
        encounter_types=_counts(gold, "encounter_type"),
        encounters_per_year=_counts(years, "year", n=None, by_label=True),
        age_bands=_age_bands(gold),
        genders=_counts(patients, "patient_gender", n=None),
        vitals=_vitals(gold),
        imaging=_counts(imaging, "kind") if imaging.height else (),
        validation=_validation(lh),
        quarantine=_counts(quarantine, "reason", n=None) if quarantine.height else (),
    )


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    data: Path
    bytes: int


def write_report(root: Path, out: Path) -> ReportFiles:
    """Collect the report data and write `<out>/index.html` and `<out>/report.json`."""
    from scribe_lakehouse.explore.report_html import render

    data = collect(root)
    out.mkdir(parents=True, exist_ok=True)
    html_path, data_path = out / "index.html", out / "report.json"
    for path, body in (
        (html_path, render(data)),
        (data_path, json.dumps(asdict(data), indent=1, default=str) + "\n"),
    ):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(body, "utf-8")
        os.replace(tmp, path)
    size = html_path.stat().st_size
    log.info("corpus report written (%.0f kB)", size / 1e3)
    return ReportFiles(html_path, data_path, size)
