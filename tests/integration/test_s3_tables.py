"""Silver and Gold on S3 (a real moto server): LAKEHOUSE_TABLES_URI=s3://… gives the same tables as on
local disk, with every commit a conditional put."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from s3_support import MotoServer, start_moto
from scribe_lakehouse.bronze.landing import land
from scribe_lakehouse.lakehouse import TABLES_ENV, Lakehouse
from scribe_lakehouse.local.pipeline import run
from scribe_lakehouse.registry import GOLD_ENCOUNTER_SUMMARY, PROCESSED_FILES, SILVER_TABLES, TableSpec
from scribe_lakehouse.storage import delta
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration

BUCKET = "lakehouse-tables"
# columns that say when a row was written, not what it holds
WRITE_TIME = ("ingest_timestamp", "created_timestamp", "run_id")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    moto = start_moto(tmp_path_factory.mktemp("moto"))
    try:
        moto.admin().create_bucket(Bucket=BUCKET)
        yield moto
    finally:
        moto.stop()


def frame(lh: Lakehouse, spec: TableSpec) -> pl.DataFrame:
    data = pl.from_arrow(delta.read_arrow(lh.uri(spec)))
    assert isinstance(data, pl.DataFrame)
    return data.drop([c for c in WRITE_TIME if c in data.columns]).sort(spec.column_names[0])


def _use_moto(server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point delta-rs at the moto server with the default commit setting (conditional put)."""
    for name, value in {
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_CONDITIONAL_PUT", raising=False)
    monkeypatch.delenv("AWS_S3_LOCKING_PROVIDER", raising=False)


def test_silver_and_gold_on_s3_equal_the_local_disk_result(
    server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    generate(source, patients=4, seed=11, dicom=True, scale=0.2, workers=1)
    local_root, s3_root = tmp_path / "local", tmp_path / "s3"
    for root in (local_root, s3_root):
        land(source, root, kinds=["fhir", "dicom"], cohorts=2)

    monkeypatch.delenv(TABLES_ENV, raising=False)
    local = run(local_root)
    _use_moto(server, monkeypatch)
    monkeypatch.setenv(TABLES_ENV, f"s3://{BUCKET}/corpus/")
    remote = run(s3_root)
    assert local.passed and remote.passed
    assert remote.files_parsed == local.files_parsed > 0

    on_s3 = Lakehouse(s3_root)
    on_disk = Lakehouse(local_root, tables=None)
    assert on_s3.uri(GOLD_ENCOUNTER_SUMMARY) == f"s3://{BUCKET}/corpus/gold/encounter_summary"
    for spec in (*SILVER_TABLES, PROCESSED_FILES, GOLD_ENCOUNTER_SUMMARY):
        assert_frame_equal(frame(on_s3, spec), frame(on_disk, spec))
    # the tables really are in the bucket, and nowhere under the local root
    keys = [o["Key"] for o in server.admin().list_objects_v2(Bucket=BUCKET, Prefix="corpus/")["Contents"]]
    assert "corpus/silver/patient/_delta_log/00000000000000000000.json" in keys
    assert any(k.startswith("corpus/gold/encounter_summary/") and k.endswith(".parquet") for k in keys)
    assert not (s3_root / "silver").exists() and not (s3_root / "gold" / "encounter_summary").exists()
    assert (s3_root / "gold" / "_metadata" / "corpus_manifest.json").exists()

    again = run(s3_root)  # unchanged Bronze: nothing new is committed to the bucket
    assert again.nothing_to_do
    assert delta.version(on_s3.uri(SILVER_TABLES[0])) == delta.version(on_disk.uri(SILVER_TABLES[0]))


def test_concurrent_commits_to_an_s3_table_lose_nothing(
    server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writers racing for the same version: each commit is a conditional put, so a loser retries at the
    next version instead of overwriting the winner's log entry."""
    import threading

    import pyarrow as pa

    _use_moto(server, monkeypatch)
    uri = f"s3://{BUCKET}/race/table"
    assert (delta.storage_options(uri) or {}).get("conditional_put") == "etag"
    schema = pa.schema([pa.field("writer", pa.int64())])
    delta.ensure_table(uri, schema, cdf=False)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            delta.append(uri, pa.table({"writer": [n]}, schema=schema))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(delta.read_arrow(uri).column("writer").to_pylist()) == list(range(6))
    assert delta.version(uri) == 6
