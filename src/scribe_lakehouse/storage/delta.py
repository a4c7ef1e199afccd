"""The only module that imports deltalake: create tables with CDF, MERGE only what changed, read, version.

Change detection happens before the MERGE: the batch is compared with the target rows of the same keys
(a row hash over the compared columns), and only new or changed rows reach the MERGE. An unchanged batch
therefore commits nothing: no new Delta version and no change rows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from scribe_lakehouse.batches import UNRANKED, Precedence
from scribe_lakehouse.errors import WriteError
from scribe_lakehouse.outcomes import MergeStats
from scribe_lakehouse.redaction import scrub

log = logging.getLogger(__name__)

CDF_CONFIG = {"delta.enableChangeDataFeed": "true"}


# re-exported: the shapes and the precedence rule are engine-free, shared with the Spark engine
__all__ = ["MergeStats", "Precedence"]


def _rank(precedence: Precedence, expr: pl.Expr) -> pl.Expr:
    """The rank of each value of `expr` under `precedence` (UNRANKED when not ranked)."""
    ranks = precedence.ranks
    return expr.replace_strict(
        list(ranks.keys()), list(ranks.values()), default=UNRANKED, return_dtype=pl.Int64
    )


def storage_options(uri: str) -> dict[str, str] | None:
    """Object-store settings for a table URI (None for a local path). On S3 every commit is a
    conditional put (If-None-Match), so two writers can never both commit one version; a DynamoDB
    locking provider configured through AWS_S3_LOCKING_PROVIDER is used instead when set. The standard
    AWS_* variables (endpoint, region, credentials) apply as usual."""
    if not uri.startswith("s3://"):
        return None
    options: dict[str, str] = {}
    if not os.environ.get("AWS_S3_LOCKING_PROVIDER") and not os.environ.get("AWS_CONDITIONAL_PUT"):
        options["conditional_put"] = "etag"
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["endpoint_url"] = endpoint
        if endpoint.startswith("http://"):  # a local S3-compatible store
            options["allow_http"] = "true"
    return options


def _open(uri: str) -> DeltaTable:
    return DeltaTable(uri, storage_options=storage_options(uri))


def exists(uri: str) -> bool:
    return version(uri) is not None


def version(uri: str) -> int | None:
    """Current Delta version, or None when there is no table at `uri`."""
    try:
        return int(_open(uri).version())
    except TableNotFoundError:
        return None


def ensure_table(uri: str, schema: pa.Schema, *, cdf: bool = True) -> bool:
    """Create an empty table with `schema` (and Change Data Feed on) unless one exists; True if created."""
    if exists(uri):
        return False
    write_deltalake(
        uri,
        schema.empty_table(),
        mode="error",
        configuration=CDF_CONFIG if cdf else None,
        storage_options=storage_options(uri),
    )
    return True


def read_arrow(uri: str, *, columns: Sequence[str] | None = None) -> pa.Table:
    """The current snapshot of a table as Arrow."""
    return _open(uri).to_pyarrow_table(columns=list(columns) if columns is not None else None)


def read_frame(uri: str, *, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """The current snapshot as a Polars frame, read by Polars' own Parquet reader. Used where a process
    may exit right after the read: a pyarrow dataset scan (read_arrow) whose thread pool is still winding
    down at interpreter exit can abort the process ("terminate called without an active exception")."""
    cols = list(columns) if columns is not None else None
    return pl.read_delta(uri, columns=cols, storage_options=storage_options(uri))


def read_keys(uri: str, key: str, keys: pa.Array | pa.ChunkedArray, columns: Sequence[str]) -> pl.DataFrame:
    """Target rows whose `key` is in `keys` (only `columns`). Filtered after the scan: pyarrow's dataset
    filter fails on files delta-rs MERGE wrote with string_view columns."""
    target = pl.from_arrow(read_arrow(uri, columns=columns))
    assert isinstance(target, pl.DataFrame)
    wanted = pl.Series(key, keys).cast(target.schema[key])
    return target.filter(pl.col(key).is_in(wanted.implode()))


def append(uri: str, table: pa.Table) -> int:
    """Append rows (used by the append-only system tables); returns the committed version."""
    if table.num_rows == 0:
        current = version(uri)
        return -1 if current is None else current
    write_deltalake(uri, table, mode="append", storage_options=storage_options(uri))
    return int(_open(uri).version())


def _row_hashes(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    return frame.select(columns).hash_rows(seed=0)


@dataclass(frozen=True)
class Changes:
    """The rows of a batch that must reach the MERGE, and what the comparison found."""

    rows: pa.Table
    updates: int
    superseded: int = 0


def changed_rows(
    uri: str,
    batch: pa.Table,
    *,
    key: str,
    compare: Sequence[str],
    precedence: Precedence | None = None,
) -> Changes:
    """Rows of `batch` that are new or differ from the target in any `compare` column (and, with a
    `precedence`, do not lose to the target row of their key); how many update an existing key; and how
    many were dropped because the target row ranks higher."""
    if batch.num_rows == 0:
        return Changes(batch, 0)
    columns = [key, *compare]
    if precedence is not None and precedence.column not in columns:
        columns.append(precedence.column)
    existing = read_keys(uri, key, batch.column(key), columns)
    if existing.height == 0:
        return Changes(batch, 0)
    source = pl.from_arrow(batch)
    assert isinstance(source, pl.DataFrame)
    existing = existing.cast(source.select(columns).schema)
    src = source.with_columns(_h=_row_hashes(source, compare))
    hashes = _row_hashes(existing, compare)
    superseded = 0
    if precedence is None:
        tgt = existing.select(key, _h=hashes)
    else:
        src = src.with_columns(_r=_rank(precedence, pl.col(precedence.column)))
        tgt = existing.select(key, _h=hashes, _r=_rank(precedence, pl.col(precedence.column)))
    joined = src.join(tgt, on=key, how="left", suffix="_t")
    if precedence is not None:
        loses = pl.col("_r_t").is_not_null() & (pl.col("_r_t") > pl.col("_r"))
        superseded = int(joined.select(loses.sum()).item())
        joined = joined.filter(~loses).drop("_r", "_r_t")
    keep = joined.filter(pl.col("_h_t").is_null() | (pl.col("_h") != pl.col("_h_t")))
    updates = int(keep.select(pl.col("_h_t").is_not_null().sum()).item())
    return Changes(keep.drop("_h", "_h_t").to_arrow().cast(batch.schema), updates, superseded)


def merge_changed(
    uri: str,
    batch: pa.Table,
    *,
    key: str,
    compare_exclude: Sequence[str] = (),
    delete_missing: bool = False,
    precedence: Precedence | None = None,
) -> MergeStats:
    """MERGE `batch` into the table at `uri` on `key`: insert new keys, update keys whose compared
    columns changed, leave the rest untouched. With `delete_missing`, the batch is the whole table and
    target rows whose key is absent from it are deleted. With `precedence`, a batch row never replaces
    a target row that ranks higher. Nothing changed → nothing committed."""
    compare = [c for c in batch.schema.names if c != key and c not in compare_exclude]
    found = changed_rows(uri, batch, key=key, compare=compare, precedence=precedence)
    changed, updates = found.rows, found.updates
    missing = pa.array([], type=batch.schema.field(key).type)
    if delete_missing:
        current = read_arrow(uri, columns=[key]).column(key)
        missing = pc.filter(current, pc.invert(pc.is_in(current, value_set=batch.column(key))))
        missing = missing.combine_chunks() if isinstance(missing, pa.ChunkedArray) else missing
    if changed.num_rows == 0 and len(missing) == 0:
        return MergeStats(batch.num_rows, 0, 0, 0, None, found.superseded)
    try:
        table = _open(uri)
        if changed.num_rows:
            (
                table.merge(changed, predicate=f"t.{key} = s.{key}", source_alias="s", target_alias="t")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute()
            )
        if len(missing):
            keys = ", ".join("'" + str(k).replace("'", "''") + "'" for k in missing.to_pylist())
            table = _open(uri)
            table.delete(f"{key} IN ({keys})")
    except Exception as exc:  # deltalake raises several unrelated types; surface one clear error
        name = "/".join(uri.rstrip("/").split("/")[-2:])
        # delta-rs messages can quote paths and values: keep the type, scrub the text
        raise WriteError(f"MERGE into {name} failed: {type(exc).__name__}: {scrub(str(exc))}") from exc
    new_version = version(uri)
    return MergeStats(
        batch.num_rows, changed.num_rows - updates, updates, len(missing), new_version, found.superseded
    )


def load_cdf(uri: str, *, starting_version: int = 0) -> pa.Table:
    """The change data feed from `starting_version` (inclusive)."""
    return pa.table(_open(uri).load_cdf(starting_version=starting_version))
