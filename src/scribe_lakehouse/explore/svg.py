"""Small inline-SVG charts (horizontal bars, columns) for the self-contained corpus report.

No JavaScript and nothing fetched: each chart is an <svg> string with its numbers in <title> tooltips
and an aria-label, so the report opens offline in any browser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

BAR_COLOR = "#2f6db5"
ACCENT_COLOR = "#d9822b"
GRID_COLOR = "#d0d7de"
TEXT_COLOR = "#24292f"
FONT = "font-family='system-ui, sans-serif' font-size='12'"


@dataclass(frozen=True)
class Bar:
    """One bar: a label, its value and the text shown beside it (defaults to the value)."""

    label: str
    value: float
    note: str = ""


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _clip(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: chars - 1].rstrip() + "…"


def hbars(
    bars: Sequence[Bar],
    *,
    title: str,
    width: int = 640,
    label_width: int = 260,
    row_height: int = 22,
    color: str = BAR_COLOR,
    fmt: Callable[[float], str] = _fmt,
) -> str:
    """A horizontal bar chart, one row per bar, longest bar = full width."""
    if not bars:
        return f"<p class='empty'>{escape(title)}: nothing to show.</p>"
    top = max(b.value for b in bars) or 1.0
    plot = width - label_width - 150
    height = row_height * len(bars) + 8
    rows = []
    for i, bar in enumerate(bars):
        y = 4 + i * row_height
        length = max(1.0, plot * bar.value / top) if bar.value > 0 else 0.0
        note = bar.note or fmt(bar.value)
        tip = escape(f"{bar.label}: {note}")
        rows.append(
            f"<g><title>{tip}</title>"
            f"<text x='{label_width - 6}' y='{y + row_height * 0.68:.1f}' text-anchor='end'>"
            f"{escape(_clip(bar.label, label_width // 7))}</text>"
            f"<rect x='{label_width}' y='{y + 3}' width='{length:.1f}' height='{row_height - 6}' "
            f"fill='{color}' rx='2'/>"
            f"<text x='{label_width + length + 6:.1f}' y='{y + row_height * 0.68:.1f}'>{escape(note)}</text>"
            "</g>"
        )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='{escape(title)}' {FONT} "
        f"fill='{TEXT_COLOR}'>{''.join(rows)}</svg>"
    )


def columns(
    bars: Sequence[Bar],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
    color: str = BAR_COLOR,
    fmt: Callable[[float], str] = _fmt,
) -> str:
    """A column chart (e.g. a histogram or a time series): labels under the columns, the max on top."""
    if not bars:
        return f"<p class='empty'>{escape(title)}: nothing to show.</p>"
    left, bottom, top_pad = 44, 46, 16
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    top = max(b.value for b in bars) or 1.0
    step = plot_w / len(bars)
    every = max(1, round(len(bars) / 14))  # at most ~14 x labels
    parts = [
        f"<line x1='{left}' y1='{top_pad + plot_h}' x2='{width - 8}' y2='{top_pad + plot_h}' "
        f"stroke='{GRID_COLOR}'/>",
        f"<line x1='{left}' y1='{top_pad}' x2='{width - 8}' y2='{top_pad}' stroke='{GRID_COLOR}' "
        "stroke-dasharray='3 3'/>",
        f"<text x='{left - 4}' y='{top_pad + 4}' text-anchor='end'>{escape(fmt(top))}</text>",
        f"<text x='{left - 4}' y='{top_pad + plot_h + 4}' text-anchor='end'>0</text>",
    ]
    for i, bar in enumerate(bars):
        h = plot_h * bar.value / top if bar.value > 0 else 0.0
        x = left + i * step
        tip = escape(f"{bar.label}: {bar.note or fmt(bar.value)}")
        parts.append(
            f"<g><title>{tip}</title><rect x='{x + step * 0.1:.1f}' y='{top_pad + plot_h - h:.1f}' "
            f"width='{max(step * 0.8, 1):.1f}' height='{h:.1f}' fill='{color}'/></g>"
        )
        if i % every == 0:
            cx, cy = x + step / 2, top_pad + plot_h + 12
            parts.append(
                f"<text x='{cx:.1f}' y='{cy:.1f}' text-anchor='end' "
                f"transform='rotate(-40 {cx:.1f} {cy:.1f})'>{escape(_clip(bar.label, 12))}</text>"
            )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='{escape(title)}' {FONT} "
        f"fill='{TEXT_COLOR}'>{''.join(parts)}</svg>"
    )
