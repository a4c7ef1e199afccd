"""Process-level settings: pandas declined without breaking pyarrow."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys
from scribe_lakehouse.runtime import decline_pandas
decline_pandas()
decline_pandas()  # idempotent
import pyarrow as pa
import polars as pl
import deltalake  # noqa: F401
assert pl.DataFrame({"a": [1]}).to_arrow().num_rows == 1
table = pa.Table.from_pylist([{"a": 1}, {"a": 2}])
assert pa.array([1, 2, 3], type=pa.int64()).to_pylist() == [1, 2, 3]
assert table.column("a").to_pylist() == [1, 2] and "pandas" not in sys.modules
try:
    import pandas  # noqa: F401
except ImportError:
    print("declined")
"""


def test_pyarrow_converts_lists_without_importing_pandas() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["declined"]


FORKABLE = """
from scribe_lakehouse.runtime import tune_process
tune_process()
import scribe_lakehouse.cli  # what the entry point imports before `run` prestarts its parse workers
from scribe_lakehouse.local import parse_pool
print(parse_pool._can_fork())
import sys
import scribe_lakehouse.local.pipeline  # loads no engine: a run hands out parse jobs first
print("polars" in sys.modules or "deltalake" in sys.modules)
"""


def test_the_cli_process_can_fork_its_parse_workers() -> None:
    """After the entry point's settings (OpenBLAS single-threaded) and the CLI's imports, the process runs
    no thread a fork could copy mid-flight: `run` forks its workers instead of spawning them. Without
    the settings, numpy's OpenBLAS pool would be running. Importing the local pipeline loads no engine."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    for script, fork in ((FORKABLE, "True"), (FORKABLE.replace("tune_process()", ""), "False")):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)

        assert result.stdout.split() == [fork, "False"], result.stderr
