"""Screenshot the Dagster asset graph for the README with headless Chromium (Debian `chromium`).

Builds a small lakehouse (generated corpus, three cohorts) and materializes it through the asset graph
into the root's own Dagster instance, starts `scribe-lakehouse ui` on a free port, lets Chromium render
the global asset lineage, stops the UI by pid and writes the PNG.

    .venv/bin/python scripts/screenshot_dagster.py --out docs/img/dagster-asset-graph.png
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from scribe_lakehouse.spark.session import free_port

LINEAGE = "/assets/gold_encounter_summary?view=lineage&lineageScope=upstream&lineageDepth=5"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def build(root: Path, patients: int) -> None:
    """Generate, land into 3 cohorts and materialize every partition, Gold and the checks in-process,
    recording into `<root>/.dagster` (the instance `ui` opens)."""
    import dagster as dg

    from scribe_lakehouse.bronze.landing import Manifest, land
    from scribe_lakehouse.orchestration.definitions import ASSETS, CHECKS
    from scribe_lakehouse.orchestration.launch import INSTANCE_DIR, INSTANCE_YAML
    from scribe_lakehouse.orchestration.partitions import COHORTS_NAME
    from scribe_lakehouse.orchestration.resources import LakehouseResource
    from scribe_lakehouse.synth import generate

    with tempfile.TemporaryDirectory(prefix="scribe-shot-") as tmp:
        generate(Path(tmp), patients=patients, seed=1, dicom=True)
        land(Path(tmp), root, kinds=["fhir", "dicom"], cohorts=3)
    home = root / INSTANCE_DIR
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(INSTANCE_YAML, "utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    resources = {"lakehouse": LakehouseResource(root=str(root))}
    with dg.DagsterInstance.get() as instance:
        cohorts = Manifest.load(root).cohorts()
        instance.add_dynamic_partitions(COHORTS_NAME, cohorts)
        everything = [*ASSETS, *CHECKS]
        for cohort in cohorts:
            silver = dg.AssetSelection.groups("bronze", "silver")
            dg.materialize(
                everything, selection=silver, partition_key=cohort, resources=resources, instance=instance
            )
        dg.materialize(
            everything, selection=dg.AssetSelection.groups("gold"), resources=resources, instance=instance
        )


def wait_for_ui(port: int, proc: subprocess.Popen[bytes], seconds: float = 240) -> None:
    body = json.dumps({"query": "{ assetNodes { id } }"}).encode()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the UI exited with {proc.returncode}")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if json.loads(response.read()).get("data", {}).get("assetNodes"):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise SystemExit("the UI did not answer in time")


def screenshot(url: str, out: Path, *, width: int, height: int, budget_ms: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("headless Chromium is needed: apt-get install -y chromium")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scribe-chromium-") as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--virtual-time-budget={budget_ms}",
                f"--screenshot={out}",
                url,
            ],
            check=True,
            timeout=180,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img/dagster-asset-graph.png"))
    parser.add_argument("--root", type=Path, help="Use this lakehouse root as it is (default: build one).")
    parser.add_argument("--patients", type=int, default=12)
    parser.add_argument("--page", default=LINEAGE, help="UI path to capture.")
    # tall enough that the UI draws full asset cards (checks, partitions) rather than bare names
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--budget-ms", type=int, default=20_000, help="Time Chromium lets the page render.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scribe-shot-root-") as tmp:
        root = args.root.resolve() if args.root else Path(tmp) / "lakehouse"
        if args.root is None:
            build(root, args.patients)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "scribe_lakehouse", "ui", "--root", str(root), "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            start_new_session=True,
        )
        try:
            wait_for_ui(port, proc)
            url = f"http://127.0.0.1:{port}{args.page}"
            screenshot(url, args.out, width=args.width, height=args.height, budget_ms=args.budget_ms)
        finally:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
