"""The one adapter between the Fabric notebooks (fabric/notebooks/) and where they run.

Everything Fabric-only lives here: finding the default lakehouse (notebookutils), its driver mount
(/lakehouse/default/Files/…) and its OneLake address (abfss://…). Off Fabric — a local Sail session,
the notebook test — the same notebooks use `LAKEHOUSE_ROOT` (or ./lakehouse) on local disk. The
notebooks hold no logic: each calls one or two functions of `scribe_lakehouse.spark.pipeline`.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scribe_lakehouse.errors import ConfigError
from scribe_lakehouse.lakehouse import default_root
from scribe_lakehouse.spark.paths import SparkRoot
from scribe_lakehouse.spark.pipeline import SparkEngine
from scribe_lakehouse.spark.session import is_sail

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

DEFAULT_FOLDER = "scribe_lakehouse"
FABRIC_MOUNT = Path("/lakehouse/default")
ONELAKE_HOST = "onelake.dfs.fabric.microsoft.com"
COHERENT_HTTPS = "https://synthea-open-data.s3.amazonaws.com/coherent/unzipped/fhir/"
DEFAULT_SHORTCUT = "coherent"  # a OneLake shortcut to s3://synthea-open-data/coherent/unzipped/


def on_fabric() -> bool:
    """True inside a Fabric notebook session (its `notebookutils` module is importable)."""
    return importlib.util.find_spec("notebookutils") is not None


def _notebookutils() -> Any:
    return importlib.import_module("notebookutils")


def fabric_root(folder: str = DEFAULT_FOLDER) -> SparkRoot:
    """`Files/<folder>` of the notebook's default lakehouse: the driver mount and the OneLake URI."""
    context = _notebookutils().runtime.context
    lakehouse = context.get("defaultLakehouseId")
    workspace = context.get("defaultLakehouseWorkspaceId") or context.get("currentWorkspaceId")
    if not lakehouse or not (FABRIC_MOUNT / "Files").is_dir():
        raise ConfigError("attach a default lakehouse to this notebook (Fabric: Lakehouses → Add)")
    uri = f"abfss://{workspace}@{ONELAKE_HOST}/{lakehouse}/Files/{folder}"
    return SparkRoot(FABRIC_MOUNT / "Files" / folder, uri)


def configure_logging() -> None:
    """Log lines (PHI-safe, as everywhere) to the notebook's output, once."""
    logger = logging.getLogger("scribe_lakehouse")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def notebook_engine(
    spark: SparkSession, *, root: str | None = None, folder: str = DEFAULT_FOLDER
) -> SparkEngine:
    """The engine a notebook uses: `root` when given (a local folder), else the default lakehouse on
    Fabric, else `LAKEHOUSE_ROOT` / ./lakehouse."""
    configure_logging()
    if root:
        spark_root = SparkRoot.on_disk(Path(root))
    elif on_fabric():
        spark_root = fabric_root(folder)
    else:
        spark_root = SparkRoot.on_disk(default_root())
    spark_root.local.mkdir(parents=True, exist_ok=True)
    return SparkEngine.on(spark, spark_root)


def default_source() -> Path:
    """Where notebook 01 lands from by default: the Coherent shortcut in the lakehouse Files on Fabric,
    ./coherent elsewhere."""
    return FABRIC_MOUNT / "Files" / DEFAULT_SHORTCUT if on_fabric() else Path(DEFAULT_SHORTCUT)


@dataclass(frozen=True)
class SetupReport:
    """What notebook 00 checked."""

    engine: str
    spark_version: str
    session_time_zone: str
    change_data_feed: bool
    root_local: str
    root_uri: str
    root_writable: bool
    bronze_files: int
    s3_reachable: bool | None

    @property
    def ok(self) -> bool:
        return self.root_writable


def s3_reachable(url: str = COHERENT_HTTPS, *, timeout: float = 5.0) -> bool:
    """Whether the public Coherent bucket answers an anonymous HEAD request."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status) < 500
    except urllib.error.HTTPError as exc:  # 403/404 still prove the bucket answers
        return exc.code < 500
    except (urllib.error.URLError, OSError):
        return False


def _writable(folder: Path) -> bool:
    probe = folder / f".probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.write_text("ok", "utf-8")
        probe.unlink()
    except OSError:
        return False
    return True


def setup_report(eng: SparkEngine, *, check_s3: bool = True) -> SetupReport:
    """Notebook 00: the session answers, the root is writable, what Bronze holds, whether S3 answers."""
    from scribe_lakehouse.bronze.landing import Manifest

    spark = eng.spark
    spark.range(1).count()
    manifest = Manifest.load(eng.root.local)
    return SetupReport(
        engine="sail" if is_sail(spark) else "spark",
        spark_version=str(spark.version),
        session_time_zone=str(spark.conf.get("spark.sql.session.timeZone")),
        change_data_feed=eng.cdf,
        root_local=str(eng.root.local),
        root_uri=eng.root.uri,
        root_writable=_writable(eng.root.local),
        bronze_files=len(manifest.entries),
        s3_reachable=s3_reachable() if check_s3 else None,
    )


def exit_notebook(value: str) -> str:
    """End the notebook with `value` as its exit value on Fabric (pipelines read it); elsewhere return it."""
    if on_fabric():
        _notebookutils().notebook.exit(value)
    return value
