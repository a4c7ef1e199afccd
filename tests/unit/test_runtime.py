"""Process-level settings: pandas declined without breaking pyarrow."""

from __future__ import annotations

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
