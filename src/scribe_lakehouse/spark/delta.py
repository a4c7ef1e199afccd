"""Delta tables through Spark: create (Change Data Feed on where the engine supports it), versions read
from the Delta log, and MERGE INTO with the same change detection as the local engine.

Change detection happens before the MERGE: the batch is joined with the target rows of the same keys
and compared column by column (null-safe), and only new or changed rows reach `MERGE INTO`. An
unchanged batch commits nothing: no new Delta version. With a `Precedence` (the engine-free rule in
`scribe_lakehouse.batches`), a batch row never replaces a target row from a higher-ranked source. Only
the DataFrame API and Spark SQL are used, so this runs on Spark 3.5 (Fabric, Databricks), on Spark
Connect and on Sail.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scribe_lakehouse.batches import UNRANKED, Precedence
from scribe_lakehouse.errors import WriteError
from scribe_lakehouse.outcomes import MergeStats
from scribe_lakehouse.spark.paths import Location
from scribe_lakehouse.spark.schemas import ddl

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger(__name__)

_LOG_NAME_DIGITS = 20
_UPDATE = "__scribe_update"
_OP = "__scribe_op"
_T = "__scribe_t_"
_RANK_VALUE = "__scribe_rank_value"
_RANK = "__scribe_rank"
# _OP values: written by the MERGE (upsert, delete) or only counted (superseded: loses to the target)
_UPSERT, _DELETE, _SUPERSEDED = "upsert", "delete", "superseded"


def version(path: Path) -> int | None:
    """The table's current version from its `_delta_log` listing (the highest commit file), or None when
    there is no table. Read on the driver, with no Delta library."""
    log_dir = path / "_delta_log"
    if not log_dir.is_dir():
        return None
    commits = [
        int(p.name[:_LOG_NAME_DIGITS])
        for p in log_dir.iterdir()
        if p.name.endswith(".json") and len(p.name) == _LOG_NAME_DIGITS + 5 and p.name[:-5].isdigit()
    ]
    if commits:
        return max(commits)
    last = log_dir / "_last_checkpoint"
    if last.is_file():
        return int(json.loads(last.read_text("utf-8"))["version"])
    return None


def change_data_feed(path: Path) -> bool:
    """Whether the table was created with Change Data Feed on (from its first commit; False when
    there is no table or that commit was cleaned up)."""
    first = path / "_delta_log" / f"{0:0{_LOG_NAME_DIGITS}d}.json"
    if not first.is_file():
        return False
    for line in first.read_text("utf-8").splitlines():
        action = json.loads(line) if line.strip() else {}
        if "metaData" in action:
            config = action["metaData"].get("configuration") or {}
            return str(config.get("delta.enableChangeDataFeed", "false")).lower() == "true"
    return False


def read_scratch(spark: SparkSession, scratch: Location, schema: StructType) -> DataFrame:
    """Parquet written to a scratch folder, read with its schema (an engine that writes no file for
    an empty result, like Sail, still reads back as an empty frame)."""
    scratch.path.mkdir(parents=True, exist_ok=True)
    return spark.read.schema(schema).parquet(scratch.uri)


def exists(table: Location) -> bool:
    return version(table.path) is not None


def ensure_table(spark: SparkSession, table: Location, schema: StructType, *, cdf: bool) -> bool:
    """Create an empty table with `schema` unless one exists (Change Data Feed on when `cdf`); True if
    it was created."""
    if exists(table):
        return False
    try:
        if cdf:
            spark.sql(
                f"CREATE TABLE IF NOT EXISTS {table.sql} ({ddl(schema)}) USING DELTA "
                "TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')"
            )
        else:
            spark.createDataFrame([], schema).write.format("delta").mode("error").save(table.uri)
    except Exception as exc:
        raise WriteError(f"could not create {table.name}: {type(exc).__name__}: {_first_line(exc)}") from exc
    return True


def read(spark: SparkSession, table: Location) -> DataFrame:
    return spark.read.format("delta").load(table.uri)


def append(spark: SparkSession, table: Location, frame: DataFrame) -> None:
    try:
        frame.write.format("delta").mode("append").save(table.uri)
    except Exception as exc:
        raise WriteError(_hint(f"append to {table.name} failed", exc)) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def _hint(what: str, exc: BaseException) -> str:
    message = f"{what}: {type(exc).__name__}: {_first_line(exc)}"
    if "ChangeDataFeed" in str(exc):
        message += (
            " (this table has Change Data Feed on, e.g. it was written by the local engine, and this"
            " Spark engine cannot write such tables: Sail cannot; use a fresh root or a Delta-enabled Spark)"
        )
    return message


def _ranks(spark: SparkSession, precedence: Precedence, suffix: str) -> DataFrame:
    """(value, rank) of the precedence as a small frame, its columns suffixed to join it twice."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    schema = StructType(
        [StructField(_RANK_VALUE + suffix, StringType()), StructField(_RANK + suffix, LongType())]
    )
    return spark.createDataFrame([(k, int(v)) for k, v in precedence.ranks.items()], schema)


def _changed(
    spark: SparkSession,
    source: DataFrame,
    target: DataFrame,
    *,
    key: str,
    compare: Sequence[str],
    delete_missing: bool,
    precedence: Precedence | None,
) -> DataFrame:
    """Source rows that are new or differ in a compared column (plus, with `delete_missing`, one row
    per target key absent from the source), with `_OP` = upsert/delete and `_UPDATE` for updates. With
    `precedence`, source rows whose target row ranks higher are kept with `_OP` = superseded (counted,
    never written)."""
    from pyspark.sql import functions as F

    columns = source.columns
    carried = [key, *compare]
    if precedence is not None and precedence.column not in carried:
        carried.append(precedence.column)
    old = target.select(*[F.col(c).alias(_T + c) for c in carried])
    joined = source.join(old, F.col(key) == F.col(_T + key), "left")
    loses = F.lit(False)
    if precedence is not None:
        column = precedence.column
        joined = joined.join(
            F.broadcast(_ranks(spark, precedence, "_s")), F.col(column) == F.col(_RANK_VALUE + "_s"), "left"
        ).join(
            F.broadcast(_ranks(spark, precedence, "_t")),
            F.col(_T + column) == F.col(_RANK_VALUE + "_t"),
            "left",
        )
        rank_s = F.coalesce(F.col(_RANK + "_s"), F.lit(UNRANKED))
        rank_t = F.coalesce(F.col(_RANK + "_t"), F.lit(UNRANKED))
        loses = F.col(_T + key).isNotNull() & (rank_t > rank_s)
    same = F.lit(True)
    for c in compare:
        same = same & F.col(c).eqNullSafe(F.col(_T + c))
    changed = joined.where(loses | F.col(_T + key).isNull() | ~same).select(
        *columns,
        (F.col(_T + key).isNotNull() & ~loses).alias(_UPDATE),
        F.when(loses, F.lit(_SUPERSEDED)).otherwise(F.lit(_UPSERT)).alias(_OP),
    )
    if not delete_missing:
        return changed
    gone = target.select(key).join(source.select(key), key, "left_anti")
    deletes = gone.select(
        *[F.col(c) if c == key else F.lit(None).cast(source.schema[c].dataType).alias(c) for c in columns],
        F.lit(False).alias(_UPDATE),
        F.lit(_DELETE).alias(_OP),
    )
    return changed.unionByName(deletes)


def merge_changed(
    spark: SparkSession,
    table: Location,
    source: DataFrame,
    *,
    key: str,
    source_rows: int,
    scratch: Location,
    compare_exclude: Sequence[str] = (),
    delete_missing: bool = False,
    precedence: Precedence | None = None,
) -> MergeStats:
    """MERGE `source` into `table` on `key`: insert new keys, update keys whose compared columns changed,
    leave the rest untouched; with `delete_missing`, `source` is the whole table and target keys absent
    from it are deleted; with `precedence`, a source row never replaces a target row that ranks higher
    (counted as `superseded`). The changed rows are written once to a fresh folder under `scratch`
    (Parquet) so they are computed once and the MERGE reads a fixed input. Nothing changed → nothing
    committed."""
    from pyspark.sql import functions as F

    columns = source.columns
    compare = [c for c in columns if c != key and c not in compare_exclude]
    target = read(spark, table)
    changed = _changed(
        spark,
        source,
        target,
        key=key,
        compare=compare,
        delete_missing=delete_missing,
        precedence=precedence,
    )
    folder = scratch.child(uuid.uuid4().hex[:12])
    changed.write.mode("overwrite").parquet(folder.uri)
    staged = read_scratch(spark, folder, changed.schema)
    row = staged.agg(
        F.sum(F.when(F.col(_OP) == _UPSERT, 1).otherwise(0)).alias("upserts"),
        F.sum(F.when(F.col(_UPDATE), 1).otherwise(0)).alias("updates"),
        F.sum(F.when(F.col(_OP) == _DELETE, 1).otherwise(0)).alias("deletes"),
        F.sum(F.when(F.col(_OP) == _SUPERSEDED, 1).otherwise(0)).alias("superseded"),
    ).collect()[0]
    upserts, updates, deletes, superseded = (
        int(row[c] or 0) for c in ("upserts", "updates", "deletes", "superseded")
    )
    if upserts == 0 and deletes == 0:
        return MergeStats(source_rows, 0, 0, 0, None, superseded)
    view = f"scribe_merge_{uuid.uuid4().hex[:12]}"
    staged.where(F.col(_OP) != _SUPERSEDED).createOrReplaceTempView(view)
    q = ", ".join(f"`{c}`" for c in columns)
    sets = ", ".join(f"t.`{c}` = s.`{c}`" for c in columns)
    values = ", ".join(f"s.`{c}`" for c in columns)
    delete_clause = f"WHEN MATCHED AND s.`{_OP}` = '{_DELETE}' THEN DELETE " if delete_missing else ""
    statement = (
        f"MERGE INTO {table.sql} AS t USING {view} AS s ON t.`{key}` = s.`{key}` "
        f"{delete_clause}"
        f"WHEN MATCHED THEN UPDATE SET {sets} "
        f"WHEN NOT MATCHED AND s.`{_OP}` = '{_UPSERT}' THEN INSERT ({q}) VALUES ({values})"
    )
    try:
        spark.sql(statement).collect()
    except Exception as exc:
        raise WriteError(_hint(f"MERGE into {table.name} failed", exc)) from exc
    finally:
        spark.catalog.dropTempView(view)
    return MergeStats(source_rows, upserts - updates, updates, deletes, version(table.path), superseded)
