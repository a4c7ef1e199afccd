from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from scribe_lakehouse.bronze.fetch import commit, fetch, part_path
from scribe_lakehouse.bronze.landing import Manifest, land, safe_name
from scribe_lakehouse.bronze.plan import PLAN, PlanItem, save_plan
from scribe_lakehouse.bronze.sources import (
    DEFAULT_SOURCE,
    LocalSource,
    S3Source,
    open_source,
    parse_s3_url,
)
from scribe_lakehouse.errors import ConfigError, InputError


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://synthea-open-data/coherent/unzipped/", "synthea-open-data", "coherent/unzipped/"),
        ("s3://b/p", "b", "p/"),
        ("s3://b", "b", ""),
        ("s3://b/", "b", ""),
    ],
)
def test_parse_s3_url(url: str, bucket: str, prefix: str) -> None:
    assert parse_s3_url(url) == (bucket, prefix)


@pytest.mark.parametrize("bad", ["s3://", "s3:///x", "http://b/p"])
def test_bad_s3_urls(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_s3_url(bad)


def test_default_source_is_the_coherent_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    source = open_source(None)
    assert isinstance(source, S3Source)
    assert source.url == DEFAULT_SOURCE == "s3://synthea-open-data/coherent/unzipped/"
    assert source.endpoint is None


def test_endpoint_from_the_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    assert S3Source("s3://b/p").endpoint == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:10")
    assert S3Source("s3://b/p").endpoint == "http://127.0.0.1:10"


def test_unsupported_scheme_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unsupported source"):
        open_source("gs://bucket/prefix")
    with pytest.raises(ConfigError, match="not found"):
        open_source(str(tmp_path / "missing"))


def test_local_source_layouts(tmp_path: Path) -> None:
    (tmp_path / "fhir").mkdir()
    (tmp_path / "dicom").mkdir()
    (tmp_path / "fhir" / "b.json").write_text("{}")
    (tmp_path / "fhir" / "a.json").write_text("{}")
    (tmp_path / "fhir" / "notes.txt").write_text("x")
    (tmp_path / "dicom" / "x.dcm").write_bytes(b"\0" * 10)
    source = LocalSource(tmp_path)
    assert [o.relative for o in source.list("fhir")] == ["a.json", "b.json"]
    assert [(o.relative, o.size, o.etag) for o in source.list("dicom")] == [("x.dcm", 10, None)]
    assert source.list("dna") == []
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "c.json").write_text("{}")
    assert [o.relative for o in LocalSource(flat).list("fhir")] == ["c.json"]


def test_local_read_from_an_offset(tmp_path: Path) -> None:
    (tmp_path / "fhir").mkdir()
    (tmp_path / "fhir" / "a.json").write_bytes(b"0123456789")
    source = LocalSource(tmp_path)
    obj = source.list("fhir")[0]
    assert b"".join(source.read(obj, offset=4)) == b"456789"


def test_fetch_discards_a_part_it_cannot_trust(tmp_path: Path) -> None:
    """Without an ETag a leftover part cannot be proven to be a prefix of this object: start over."""
    (tmp_path / "src" / "fhir").mkdir(parents=True)
    data = json.dumps({"resourceType": "Bundle", "n": list(range(100))}).encode()
    (tmp_path / "src" / "fhir" / "a.json").write_bytes(data)
    source = LocalSource(tmp_path / "src")
    obj = source.list("fhir")[0]
    dest = tmp_path / "out" / "a.json"
    dest.parent.mkdir()
    part_path(dest).write_bytes(b"garbage that is not the object")
    fetched = fetch(source, obj, dest, resume=True)
    assert fetched.resumed_from == 0 and fetched.sha256 == hashlib.sha256(data).hexdigest()
    commit(fetched, dest)
    assert dest.read_bytes() == data and not part_path(dest).exists()


@pytest.mark.parametrize(
    "bad",
    [
        "evil\u202egnp.json",
        "x" * 300 + ".json",
        "a.json.part",
        "zero\u200bwidth.json",
        "\ue000.json",
        "b\udcff.json",
    ],
)
def test_more_unsafe_names(bad: str) -> None:
    with pytest.raises(InputError):
        safe_name(bad)


def test_local_landing_adopts_files_an_interrupted_landing_wrote(tmp_path: Path) -> None:
    """Files renamed into place but not yet recorded when a landing died are recorded without being
    copied again, in the cohort the plan gave them."""
    src = tmp_path / "src" / "fhir"
    src.mkdir(parents=True)
    for name in ("a.json", "b.json", "c.json"):
        (src / name).write_text(json.dumps({"resourceType": "Bundle", "id": name}))
    root = tmp_path / "lh"
    land(tmp_path / "src", root)
    manifest = Manifest.load(root)
    lost = manifest.entries[1:]
    save_plan(
        root,
        [PlanItem("fhir", e.name, e.cohort, e.path, e.bytes, None, str(src / e.name)) for e in lost],
        start=0,
    )
    manifest.entries = manifest.entries[:1]  # as if the landing died before recording b and c
    manifest.save(root)
    for e in lost:  # the source copies are gone: adoption must not need them
        (src / e.name).unlink()
    summary = land(tmp_path / "src", root)
    assert (summary.landed, summary.resumed, summary.skipped) == (2, 2, 1)
    after = Manifest.load(root)
    assert [(e.name, e.cohort, e.path, e.sha256) for e in after.entries] == [
        (e.name, e.cohort, e.path, e.sha256) for e in [manifest.entries[0], *lost]
    ]
    assert not (root / PLAN).exists()


def test_a_source_with_nothing_to_land_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("not data")
    with pytest.raises(ConfigError, match="no files to land"):
        land(tmp_path / "empty", tmp_path / "lh")
    assert not (tmp_path / "lh" / "bronze" / "_metadata" / "manifest.json").exists()
