"""The corpus report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

A Content-Security-Policy forbids every outside load, so the page renders the same offline. Headline
numbers carry `data-stat="<corpus_stats key>"` so tools (and the tests) can read them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from scribe_lakehouse.explore import svg

if TYPE_CHECKING:
    from scribe_lakehouse.explore.report import Distribution, ReportData, TableCheck

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, sans-serif; color: #24292f; background: #f6f8fa; margin: 0; }
header { background: #0d2a4a; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .85; }
main { padding: 16px 32px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px 18px;
          margin: 14px 0; }
h2 { font-size: 17px; margin: 4px 0 10px; }
h3 { font-size: 14px; margin: 10px 0 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(620px, 1fr)); gap: 14px; }
.grid section { margin: 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
.kpi { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; background: #fff; }
.kpi .value { display: block; font-size: 22px; font-weight: 600; color: #0d2a4a; }
.kpi .label { color: #57606a; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #eaeef2; }
td.num, th.num { text-align: right; }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #cf222e; font-weight: 600; }
.muted { color: #57606a; font-size: 12px; }
.empty { color: #57606a; font-style: italic; }
details summary { cursor: pointer; }
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

KPIS: tuple[tuple[str, str], ...] = (
    ("encounters", "encounters"),
    ("distinct_patients", "patients"),
    ("with_soap_note", "with a SOAP note"),
    ("with_vitals", "with vitals"),
    ("with_labs", "with labs"),
    ("with_ecg", "with an ECG"),
    ("with_imaging", "with imaging"),
    ("with_genomics", "with genomics"),
    ("avg_conditions_per_encounter", "active conditions / encounter"),
    ("avg_medications_per_encounter", "active medications / encounter"),
)


def number(value: float | int) -> str:
    """How the page writes a number: thousands separators, up to three decimals for averages."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _section(title: str, body: str, *, anchor: str) -> str:
    return f"<section id='{anchor}'><h2>{escape(title)}</h2>{body}</section>"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, numeric: int = 0) -> str:
    """An HTML table of already-escaped cells; the last `numeric` columns are right-aligned."""
    first = len(header) - numeric

    def cls(i: int) -> str:
        return " class='num'" if i >= first else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kpis(data: ReportData) -> str:
    stats = data.manifest.corpus_stats
    tiles = "".join(
        f"<div class='kpi'><span class='value' data-stat='{key}'>{number(getattr(stats, key))}</span>"
        f"<span class='label'>{escape(label)}</span></div>"
        for key, label in KPIS
    )
    return f"<div class='kpis'>{tiles}</div>"


def _sources(data: ReportData) -> str:
    rows = [
        (f"silver.{escape(s.table)}", number(s.row_count), str(s.delta_version))
        for s in data.manifest.silver_sources
    ]
    return _table(("Silver table read", "rows", "Delta version"), rows, numeric=2)


def _vital(d: Distribution) -> str:
    if d.count == 0:
        return f"<h3>{escape(d.name)}</h3><p class='empty'>not recorded in this corpus.</p>"
    assert d.p05 is not None and d.median is not None and d.p95 is not None
    summary = (
        f"{number(d.count)} encounters · p5 {d.p05:.4g} · median {d.median:.4g} · p95 {d.p95:.4g} "
        f"{escape(d.unit)}"
    )
    chart = svg.columns(d.bins, title=f"{d.name} distribution", height=170, width=600)
    title = f"<h3>{escape(d.name)} <span class='muted'>({escape(d.unit)})</span></h3>"
    return f"{title}{chart}<p class='muted'>{summary}</p>"


def _check_row(c: TableCheck) -> tuple[str, ...]:
    result = "<span class='pass'>pass</span>" if c.passed else "<span class='fail'>FAIL</span>"
    rules = _table(
        ("rule", "result", "observed", "expected"),
        [
            (
                escape(r.rule),
                "<span class='pass'>pass</span>" if r.passed else "<span class='fail'>fail</span>",
                escape(r.observed),
                escape(r.expected),
            )
            for r in c.rules
        ],
    )
    failed = escape(", ".join(c.failed_checks)) or "—"
    detail = f"<details><summary>{len(c.rules)} rules</summary>{rules}</details>"
    return (f"silver.{escape(c.table)}", result, failed, detail, escape(c.checked_at), number(c.row_count))


def _validation(data: ReportData) -> str:
    if not data.validation:
        return "<p class='empty'>No validation recorded yet (run `scribe-lakehouse validate`).</p>"
    passed = sum(c.passed for c in data.validation)
    head = (
        f"<p><span data-stat='validation_passed'>{passed}</span> of "
        f"<span data-stat='validation_tables'>{len(data.validation)}</span> tables pass every rule "
        "(latest check of each table, from silver.ingest_log).</p>"
    )
    rows = [_check_row(c) for c in data.validation]
    return head + _table(("table", "result", "failed rules", "rules", "checked at", "rows"), rows, numeric=1)


def render(data: ReportData) -> str:
    """The whole page."""
    m = data.manifest
    meta = (
        f"{escape(m.gold_table)} · contract <span data-stat='contract_version'>{escape(m.contract_version)}"
        f"</span> · engine {escape(m.engine)} · built {escape(m.created_timestamp)} · Gold Delta version "
        f"{data.gold_version} · <span data-stat='row_count'>{number(m.row_count)}</span> rows"
    )
    coverage = svg.hbars(data.coverage, title="Encounters with each kind of content", label_width=120)
    demographics = (
        "<h3>Patients by age at their latest encounter</h3>"
        + svg.columns(data.age_bands, title="Patients by age band", height=180, width=600)
        + "<h3>Patients by gender</h3>"
        + svg.hbars(data.genders, title="Patients by gender", label_width=120, color=svg.ACCENT_COLOR)
    )
    sections = [
        _section("Corpus at a glance", _kpis(data), anchor="headline"),
        "<div class='grid'>",
        _section(
            "Coverage: encounters with notes, vitals, labs, ECG, imaging, genomics",
            coverage,
            anchor="coverage",
        ),
        _section(
            "Encounters per year",
            svg.columns(data.encounters_per_year, title="Encounters per year"),
            anchor="per-year",
        ),
        _section(
            "Top active conditions (encounters where active)",
            svg.hbars(data.top_conditions, title="Top active conditions", label_width=300),
            anchor="conditions",
        ),
        _section(
            "Top active medications (encounters where active)",
            svg.hbars(data.top_medications, title="Top active medications", label_width=300),
            anchor="medications",
        ),
        _section("Age and gender", demographics, anchor="demographics"),
        _section(
            "Top encounter types",
            svg.hbars(data.encounter_types, title="Top encounter types", label_width=300),
            anchor="encounter-types",
        ),
        _section("Vitals at the encounter", "".join(_vital(d) for d in data.vitals), anchor="vitals"),
        _section(
            "Imaging studies: modality · body site",
            svg.hbars(data.imaging, title="Imaging studies by modality and body site", label_width=300),
            anchor="imaging",
        ),
        "</div>",
        _section("Validation", _validation(data), anchor="validation"),
        "<div class='grid'>",
        _section("Lineage: the Silver versions this Gold build read", _sources(data), anchor="lineage"),
        _section(
            "Quarantine by reason",
            svg.hbars(data.quarantine, title="Quarantined files and resources by reason", label_width=160)
            if data.quarantine
            else "<p class='empty'>Nothing quarantined.</p>",
            anchor="quarantine",
        ),
        "</div>",
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Corpus report · {escape(m.gold_table)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Corpus report</h1><p>{meta}</p></header><main>{''.join(sections)}"
        f"<p class='muted'>Generated {escape(data.generated_at)} by <code>scribe-lakehouse report</code> "
        "from the Gold corpus and its manifest. Aggregates only: no patient id, name or note text.</p>"
        "</main></body></html>\n"
    )
