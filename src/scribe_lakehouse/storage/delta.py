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


def _open(uri: str, *, version: int | None = None) -> DeltaTable:
    return DeltaTable(uri, version=version, storage_options=storage_options(uri))


def exists(uri: str) -> bool:
    return version(uri) is not None


def version(uri: str) -> int | None:
    """Current Delta version, or None when there is no table at `uri`."""
    try:
        return int(_open(uri).version())
    except TableNotFoundError:
        return None


def ensure_table(uri: str, schema: pa.Schema, *, cdf: bool = True) -> bool:
    """Create an empty table with `schema` (and Change Data Feed on) unless one exists; True if created.

    A metadata-only commit (version 0, no data file): ~1 ms a table, where writing an empty batch costs
    ~10 ms; the protocol, schema and configuration are the same."""
    if exists(uri):
        return False
    DeltaTable.create(
        uri,
        schema,
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


def row_count(uri: str, *, version: int | None = None) -> int:
    """Rows in the table (at `version`), from the log's per-file statistics: no data file is read."""
    table = _open(uri, version=version)
    actions = pa.table(table.get_add_actions(flatten=True))
    if actions.num_rows == 0:
        return 0
    records = actions.column("num_records")
    if records.null_count:  # a writer that kept no statistics: count the rows
        return int(scan(uri, version=version).select(pl.len()).collect().item())
    return int(pc.sum(records).as_py())


def scan(uri: str, *, version: int | None = None) -> pl.LazyFrame:
    """A lazy Polars scan of the table (at `version`, else the current one): only the columns and rows
    the plan keeps are read, and Polars reads string_view files natively."""
    return pl.scan_delta(uri, version=version, storage_options=storage_options(uri))


def append(uri: str, table: pa.Table) -> int:
    """Append rows (used by the append-only system tables); returns the committed version."""
    if table.num_rows == 0:
        current = version(uri)
        return -1 if current is None else current
    write_deltalake(uri, table, mode="append", storage_options=storage_options(uri))
    return int(_open(uri).version())


def _content_hash(compare: Sequence[str], schema: pl.Schema) -> pl.Expr:
    """One 64-bit hash of a row's compared columns, cast to `schema` so both sides hash alike."""
    if not compare:
        return pl.lit(0, dtype=pl.UInt64).alias("_h")
    return pl.struct([pl.col(c).cast(schema[c]) for c in compare]).hash(seed=0).alias("_h")


def keys(uri: str, key: str) -> pl.Series:
    """Every value of the table's `key` column (empty, without reading, when it has no data file)."""
    if not _open(uri).file_uris():
        return pl.Series(key, [], dtype=pl.String)
    return scan(uri).select(key).collect().get_column(key)


@dataclass(frozen=True)
class Changes:
    """The rows of a batch that must reach the MERGE, what the comparison found, and the target's keys."""

    rows: pa.Table
    updates: int
    target_keys: pl.Series
    superseded: int = 0


def changed_rows(
    uri: str,
    batch: pa.Table,
    *,
    key: str,
    compare: Sequence[str],
    target_keys: pl.Series | None = None,
    precedence: Precedence | None = None,
) -> Changes:
    """Rows of `batch` that are new or differ from the target in any `compare` column (and, with a
    `precedence`, do not lose to the target row of their key); how many update an existing key; how
    many were dropped because the target row ranks higher; and the target's keys.

    Only the key column is looked at first (the target's, and the batch's); the compared columns of the
    rows whose keys exist on both sides only then, the target's hashed in a streaming scan, so a batch
    of new keys costs one key lookup and memory stays small even when the whole table is compared."""
    batch_keys = pl.Series(key, batch.column(key))
    if target_keys is None:
        target_keys = scan(uri).select(pl.col(key).cast(batch_keys.dtype)).collect().get_column(key)
    shared = batch_keys.is_in(target_keys.implode())
    if batch.num_rows == 0 or not shared.any():
        return Changes(batch, 0, target_keys)
    index = pl.Series("_i", range(batch.num_rows), dtype=pl.UInt32)
    new = index.filter(~shared)
    overlap_at = index.filter(shared)
    columns = [key, *compare]
    if precedence is not None and precedence.column not in columns:
        columns.append(precedence.column)
    overlap = pl.from_arrow(batch.select(columns).take(overlap_at.to_arrow()))
    assert isinstance(overlap, pl.DataFrame)
    schema = overlap.schema
    ours = [pl.col(key), _content_hash(compare, schema)]
    theirs = [pl.col(key).cast(schema[key]), _content_hash(compare, schema)]
    if precedence is not None:
        rank = _rank(precedence, pl.col(precedence.column).cast(schema[precedence.column])).alias("_r")
        ours.append(rank)
        theirs.append(rank)
    target = (
        scan(uri)
        .filter(pl.col(key).cast(schema[key]).is_in(overlap.get_column(key).implode()))
        .select(theirs)
        .collect(engine="streaming")
    )
    joined = overlap.select(ours).with_columns(_i=overlap_at).join(target, on=key, how="inner", suffix="_t")
    superseded = 0
    if precedence is not None:
        loses = pl.col("_r_t") > pl.col("_r")
        superseded = int(joined.select(loses.sum()).item())
        joined = joined.filter(~loses)
    changed = joined.filter(pl.col("_h") != pl.col("_h_t")).get_column("_i")
    keep = pl.concat([new, changed]).sort()
    rows = batch if keep.len() == batch.num_rows else batch.take(keep.to_arrow())
    return Changes(rows, changed.len(), target_keys, superseded)


def _fail(uri: str, what: str, exc: Exception) -> WriteError:
    """One clear error for the several unrelated types deltalake raises. delta-rs messages can quote
    paths and values: keep the type, scrub the text."""
    name = "/".join(uri.rstrip("/").split("/")[-2:])
    return WriteError(f"{what} {name} failed: {type(exc).__name__}: {scrub(str(exc))}")


def _append(uri: str, table: pa.Table) -> None:
    try:
        write_deltalake(uri, table, mode="append", storage_options=storage_options(uri))
    except Exception as exc:
        raise _fail(uri, "append to", exc) from exc


def merge_changed(
    uri: str,
    batch: pa.Table,
    *,
    key: str,
    compare_exclude: Sequence[str] = (),
    delete_missing: bool = False,
    target_keys: pl.Series | None = None,
    precedence: Precedence | None = None,
) -> MergeStats:
    """MERGE `batch` into the table at `uri` on `key`: insert new keys, update keys whose compared
    columns changed, leave the rest untouched. With `delete_missing`, the batch is the whole table and
    target rows whose key is absent from it are deleted. With `precedence`, a batch row never replaces
    a target row that ranks higher. Nothing changed → nothing committed.

    Only what is needed is read: a first load into an empty table reads nothing; otherwise the key
    column is read, and the compared columns only when some batch keys already exist. When every
    changed row is a new key, the rows are appended (one commit, no join against the target);
    otherwise one MERGE carries the new and the changed rows. A caller that knows the target's keys
    (a single writer holding the lakehouse lock) passes them as `target_keys` to skip reading them."""
    compare = [c for c in batch.schema.names if c != key and c not in compare_exclude]
    first_load = len(target_keys) == 0 if target_keys is not None else not _open(uri).file_uris()
    if first_load:  # nothing to compare with, nothing to delete
        if batch.num_rows == 0:
            return MergeStats(0, 0, 0, 0, None)
        _append(uri, batch)
        return MergeStats(batch.num_rows, batch.num_rows, 0, 0, version(uri))
    found = changed_rows(uri, batch, key=key, compare=compare, target_keys=target_keys, precedence=precedence)
    rows, updates = found.rows, found.updates
    key_type = batch.schema.field(key).type
    missing = pa.array([], type=key_type)
    if delete_missing:
        gone = found.target_keys.filter(~found.target_keys.is_in(pl.Series(batch.column(key)).implode()))
        missing = gone.to_arrow().cast(key_type)
    inserted = rows.num_rows - updates
    if rows.num_rows == 0 and len(missing) == 0:
        return MergeStats(batch.num_rows, 0, 0, 0, None, found.superseded)
    if updates == 0:
        if rows.num_rows:
            _append(uri, rows)
    else:
        try:
            (
                _open(uri)
                .merge(rows, predicate=f"t.{key} = s.{key}", source_alias="s", target_alias="t")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .execute()
            )
        except Exception as exc:
            raise _fail(uri, "MERGE into", exc) from exc
    if len(missing):
        keys = ", ".join("'" + str(k).replace("'", "''") + "'" for k in missing.to_pylist())
        try:
            _open(uri).delete(f"{key} IN ({keys})")
        except Exception as exc:
            raise _fail(uri, "DELETE from", exc) from exc
    return MergeStats(batch.num_rows, inserted, updates, len(missing), version(uri), found.superseded)


def load_cdf(uri: str, *, starting_version: int = 0) -> pa.Table:
    """The change data feed from `starting_version` (inclusive)."""
    return pa.table(_open(uri).load_cdf(starting_version=starting_version))
