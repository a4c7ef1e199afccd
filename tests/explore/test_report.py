"""`report`: the corpus report opens offline in headless Debian Chromium with no console error, its
charts are drawn (screenshot pixels), and its numbers are the corpus manifest's."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from scribe_lakehouse.corpus_manifest import CorpusManifest
from scribe_lakehouse.explore import svg
from scribe_lakehouse.explore.report import write_report
from scribe_lakehouse.lakehouse import Lakehouse

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian chromium + chromium-driver are not installed (.ci/run installs them)",
)


@pytest.fixture(scope="module")
def report_dir(demo_lakehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(demo_lakehouse, out)
    return out


@pytest.fixture(scope="module")
def manifest(demo_lakehouse: Path) -> CorpusManifest:
    read = CorpusManifest.read(Lakehouse(demo_lakehouse).corpus_manifest)
    assert read is not None
    return read


@pytest.fixture(scope="module")
def browser(report_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--window-size=1400,1800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.get((report_dir / "index.html").as_uri())
        yield driver
    finally:
        driver.quit()
        process = service.process
        assert process is None or process.poll() is not None  # chromedriver is gone


def stat_text(browser: webdriver.Chrome, key: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, f"[data-stat='{key}']").text)


@needs_chromium
def test_no_console_errors_and_nothing_fetched(browser: webdriver.Chrome) -> None:
    assert browser.title.startswith("Corpus report")
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR", "WARNING")]
    assert errors == []
    # the page loaded no resource at all: everything is inline
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


@needs_chromium
def test_charts_are_drawn(browser: webdriver.Chrome) -> None:
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) >= 10
    assert all(c.size["width"] > 100 and c.size["height"] > 20 for c in charts)
    shot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    total = shot.width * shot.height
    colors = shot.getcolors(maxcolors=total)  # [(count, (r, g, b))]
    assert colors is not None
    background_count = max(count for count, _ in colors)
    assert total - background_count > 0.15 * total  # not a blank page
    assert len(colors) > 50
    bar = tuple(int(svg.BAR_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    # the bars themselves are painted (colour within a small tolerance for anti-aliasing)
    bar_pixels = sum(
        count for count, rgb in colors if all(abs(a - b) <= 6 for a, b in zip(rgb, bar, strict=True))
    )
    assert bar_pixels > 5_000


@needs_chromium
def test_numbers_match_the_corpus_manifest(browser: webdriver.Chrome, manifest: CorpusManifest) -> None:
    stats = manifest.corpus_stats
    for key, value in vars(stats).items():
        shown = stat_text(browser, key).replace(",", "")
        if isinstance(value, int):
            assert int(shown) == value, key
        else:
            assert float(shown) == pytest.approx(value, abs=5e-4), key
    assert int(stat_text(browser, "row_count").replace(",", "")) == manifest.row_count
    assert stat_text(browser, "contract_version") == manifest.contract_version
    assert stat_text(browser, "validation_passed") == stat_text(browser, "validation_tables") == "10"


def test_report_is_self_contained(report_dir: Path) -> None:
    html = (report_dir / "index.html").read_text("utf-8")
    assert "Content-Security-Policy" in html
    for outside in ("<script", "<link", " src=", "url(", "@import"):
        assert outside not in html
    urls = set(re.findall(r"[a-z]+://[^\s'\"<>]+", html))
    assert urls == {"http://www.w3.org/2000/svg"}  # only the SVG namespace


def test_report_json_carries_the_manifest_numbers(report_dir: Path, manifest: CorpusManifest) -> None:
    data = json.loads((report_dir / "report.json").read_text("utf-8"))
    assert data["manifest"]["corpus_stats"] == vars(manifest.corpus_stats)
    coverage = {b["label"]: b["value"] for b in data["coverage"]}
    assert coverage["SOAP note"] == manifest.corpus_stats.with_soap_note
    assert coverage["imaging"] == manifest.corpus_stats.with_imaging
    years = sum(b["value"] for b in data["encounters_per_year"])
    assert years == manifest.corpus_stats.encounters  # every encounter has a date in the demo corpus
