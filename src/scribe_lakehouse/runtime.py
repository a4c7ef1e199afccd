"""Process-level settings the entry points apply before the engines load."""

from __future__ import annotations

import os
import sys

# Polars allocates through its own jemalloc, which by default keeps freed pages for 10 s: a run that
# validates Silver and then builds Gold holds both working sets at once, and Gold's own build and
# change detection stack up the same way. Returning freed pages after 100 ms cut the peak RSS of a
# new-cohort run with Gold from ~1.9 GB to ~1.3 GB for ~0.1 s of Gold time (docs/BENCHMARKS.md).
ALLOCATOR_ENV = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:100,muzzy_decay_ms:0"}


# numpy (which pyarrow imports) starts an OpenBLAS thread pool at import. Nothing here uses BLAS, and a
# process whose only threads are its own and jemalloc's can fork its parse workers (parse_pool.prestart).
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1"}


def tune_process() -> None:
    """Apply ALLOCATOR_ENV and THREAD_ENV unless the environment sets them already. Only effective
    before numpy and Polars are first imported in the process: the entry point (__main__.main) calls
    it before it imports the CLI; child processes inherit it."""
    for name, value in {**ALLOCATOR_ENV, **THREAD_ENV}.items():
        os.environ.setdefault(name, value)


class _NoPandas:
    """Declines every import of pandas, as if it were not installed (ModuleNotFoundError: what optional
    imports in pyarrow, Polars and deltalake expect). A meta path finder needs only `find_spec`
    (importlib.abc, which would state that, costs ~11 ms to import on every CLI start)."""

    def find_spec(self, name: str, path: object, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not used by this process", name=name)


def decline_pandas() -> None:
    """pyarrow imports pandas (0.12 s quiet, ~0.25 s on a busy machine) the first time it converts a
    Python list, only to ask whether the list is a pandas object. The local engine never uses pandas,
    so its CLI commands (`run`, `gold`) and the parse workers decline the import (pyarrow then treats
    lists as lists; an explicit `to_pandas` would try the import again). Not for the Spark engine:
    pyspark's Connect client needs pandas. No effect once pandas is imported."""
    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())
