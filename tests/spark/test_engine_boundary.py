"""The Spark engine never imports deltalake or polars (DESIGN.md): importing every Spark module, the
Fabric adapter included, loads neither."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import scribe_lakehouse.spark

pytestmark = pytest.mark.spark


def test_spark_modules_import_neither_deltalake_nor_polars() -> None:
    package = Path(scribe_lakehouse.spark.__file__).parent
    modules = sorted(f"scribe_lakehouse.spark.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__")
    assert len(modules) >= 10
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "import pyspark.sql.connect.session\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('deltalake', 'polars'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
