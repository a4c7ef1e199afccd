"""`ingest` from a real S3 server (moto on 127.0.0.1) laid out like the Coherent bucket: full landing,
--max-files, unsafe keys, an interrupted landing resumed, a 403 and a dropped connection."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from lakehouse_io import silver_frames
from s3_support import FaultProxy, MotoServer, put_raw, seed, start_moto, wait_for
from scribe_lakehouse.bronze.landing import Manifest, land
from scribe_lakehouse.bronze.plan import PLAN
from scribe_lakehouse.local.pipeline import run
from scribe_lakehouse.synth import generate

pytestmark = pytest.mark.integration

BUCKET = "coherent-test"
PREFIX = "coherent/unzipped"
CSV_FILES = {
    "patients.csv": b"Id,BIRTHDATE,GENDER\np1,1970-01-01,F\np2,1980-02-02,M\n",
    "encounters.csv": b"Id,START,PATIENT\ne1,2020-01-01T00:00:00Z,p1\n",
}


@dataclass(frozen=True)
class Corpus:
    server: MotoServer
    folder: Path  # the generated source folder, as uploaded
    objects: dict[str, bytes]  # key -> bytes

    def files(self, kind: str) -> dict[str, bytes]:
        return {k.rsplit("/", 1)[1]: v for k, v in self.objects.items() if k.startswith(f"{PREFIX}/{kind}/")}


def make_corpus(folder: Path) -> Path:
    generate(folder, patients=10, seed=0, dicom=True, scale=0.2, workers=1)
    (folder / "csv").mkdir()
    for name, data in CSV_FILES.items():
        (folder / "csv" / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    base = tmp_path_factory.mktemp("s3")
    folder = make_corpus(base / "source")
    server = start_moto(base)
    try:
        objects = seed(server, BUCKET, PREFIX, folder)
        yield Corpus(server, folder, objects)
    finally:
        server.stop()


def cli(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scribe_lakehouse", *args],
        capture_output=True,
        text=True,
        env=_env(endpoint),
        timeout=300,
        check=False,
    )


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, "AWS_ENDPOINT_URL": endpoint, "COLUMNS": "200"}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def bronze_files(root: Path) -> dict[str, bytes]:
    """Every complete file under bronze/<kind>/ (metadata and .part files aside), by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in (root / "bronze").rglob("*")
        if p.is_file() and "_metadata" not in p.parts and not p.name.endswith(".part")
    }


def assert_manifest_matches(root: Path, expected: dict[str, bytes], source_prefix: str) -> None:
    """The manifest lists exactly `expected` (kind/name → bytes), each intact on disk, with its S3
    source, ETag (the MD5 of a single-part object) and sha256."""
    manifest = Manifest.load(root)
    got = {f"{e.kind}/{e.name}": e for e in manifest.entries}
    assert len(got) == len(manifest.entries)  # nothing listed twice
    assert sorted(got) == sorted(expected)
    for rel, entry in got.items():
        data = expected[rel]
        assert (root / entry.path).read_bytes() == data
        assert entry.bytes == len(data)
        assert entry.sha256 == hashlib.sha256(data).hexdigest()
        assert entry.etag == hashlib.md5(data).hexdigest()
        assert entry.source == f"s3://{BUCKET}/{source_prefix}/{rel}"
    assert sorted(bronze_files(root)) == sorted(e.path for e in manifest.entries)


def test_full_ingest_then_rerun_fetches_nothing(corpus: Corpus, tmp_path: Path) -> None:
    root = tmp_path / "lh"
    proxy = FaultProxy(corpus.server.port).start()
    try:
        first = cli(
            proxy.url, "ingest", "--root", str(root), "--source", f"s3://{BUCKET}/{PREFIX}/",
            "--with-dicom", "--with-csv", "--with-dna", "--json",
        )  # fmt: skip
        assert first.returncode == 0, first.stderr[-3000:]
        kinds = ("fhir", "dicom", "csv", "dna")
        expected = {f"{k}/{name}": data for k in kinds for name, data in corpus.files(k).items()}
        summary = json.loads(first.stdout)
        assert summary["landed"] == len(expected) and summary["rejected"] == 0
        assert [n for n in expected if n.rsplit("/", 1)[1].rsplit(".", 1)[0] in first.stderr] == []
        assert summary["cohorts"] == ["A", "B", "C"]
        assert_manifest_matches(root, expected, PREFIX)
        manifest = Manifest.load(root)
        assert {e.path.rsplit("/", 1)[0] for e in manifest.entries} == {
            "bronze/fhir/cohort=A", "bronze/fhir/cohort=B", "bronze/fhir/cohort=C",
            "bronze/dicom", "bronze/csv", "bronze/dna",
        }  # fmt: skip
        assert len(corpus.files("dicom")) >= 2 and len(corpus.files("csv")) == 2
        gets = Counter(r.path for r in proxy.object_gets(BUCKET))
        assert set(gets.values()) == {1} and len(gets) == len(expected)  # each object fetched exactly once
        assert not (root / PLAN).exists()

        before = len(proxy.object_gets(BUCKET))
        again = cli(proxy.url, "ingest", "--root", str(root), "--source", f"s3://{BUCKET}/{PREFIX}",
                    "--with-dicom", "--with-csv", "--with-dna", "--json")  # fmt: skip
        assert again.returncode == 0, again.stderr[-3000:]
        assert json.loads(again.stdout)["skipped"] == len(expected)
        assert json.loads(again.stdout)["landed"] == 0
        assert len(proxy.object_gets(BUCKET)) == before  # skipped on size + ETag, no object read
        assert_manifest_matches(root, expected, PREFIX)
    finally:
        proxy.close()


def test_s3_landing_builds_the_same_silver_as_the_local_folder(corpus: Corpus, tmp_path: Path) -> None:
    """The bytes landed from S3 (DICOM included, which feeds imaging enrichment) give exactly the Silver
    tables that landing the same folder from disk gives."""
    s3_root, local_root = tmp_path / "s3", tmp_path / "local"
    os.environ["AWS_ENDPOINT_URL"] = corpus.server.url
    try:
        land(f"s3://{BUCKET}/{PREFIX}", s3_root, kinds=["fhir", "dicom", "dna"])
    finally:
        del os.environ["AWS_ENDPOINT_URL"]
    land(corpus.folder, local_root, kinds=["fhir", "dicom", "dna"])
    assert run(s3_root, gold=False).passed and run(local_root, gold=False).passed
    from_s3, from_disk = silver_frames(s3_root), silver_frames(local_root)
    for name, frame in from_disk.items():
        assert_frame_equal(from_s3[name], frame)
    imaging = from_s3["imaging_study"]
    assert imaging.height > 0 and imaging["dicom_extracted"].sum() >= 1


def test_max_files_lands_n_patients_plus_reference_bundles(corpus: Corpus, tmp_path: Path) -> None:
    root = tmp_path / "lh"
    result = cli(corpus.server.url, "ingest", "--root", str(root), "--source", f"s3://{BUCKET}/{PREFIX}",
                 "--max-files", "2", "--with-dna", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    fhir = sorted(corpus.files("fhir"))
    patients = [n for n in fhir if n not in {"organizations.json", "practitioners.json"}]
    chosen = [*patients[:2], "organizations.json", "practitioners.json"]
    expected = {f"fhir/{n}": corpus.files("fhir")[n] for n in chosen}
    expected |= {f"dna/{n}": corpus.files("dna")[n] for n in sorted(corpus.files("dna"))[:2]}
    assert json.loads(result.stdout)["landed"] == 6
    assert_manifest_matches(root, expected, PREFIX)


UNSAFE_KEYS = [
    "fhir/../escape.json",
    "fhir//abs.json",
    "fhir/sub/../../../up.json",
    "fhir/evil\u202egnp.json",  # right-to-left override
    "fhir/bell\u0007.json",  # a control character
    "fhir/.hidden.json",
    "fhir/sub/nested.json",
    "fhir/Jos\u00e9.json",  # NFC twin of the NFD key below, which sorts first and is kept
]


def test_unsafe_keys_are_rejected_and_counted(corpus: Corpus, tmp_path: Path) -> None:
    prefix = "unsafe"
    bundle = b'{"resourceType": "Bundle", "type": "transaction", "entry": []}'
    put_raw(corpus.server, BUCKET, {f"{prefix}/{k}": bundle for k in [*UNSAFE_KEYS, "fhir/good.json"]})
    put_raw(corpus.server, BUCKET, {f"{prefix}/fhir/Jose\u0301.json": bundle + b" "})
    root = tmp_path / "inner" / "lh"
    source = f"s3://{BUCKET}/{prefix}"
    result = cli(corpus.server.url, "ingest", "--root", str(root), "--source", source, "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert (summary["landed"], summary["rejected"]) == (2, len(UNSAFE_KEYS))
    assert f"rejected {len(UNSAFE_KEYS)} file(s)" in result.stderr
    expected = {"fhir/good.json": bundle, "fhir/Jos\u00e9.json": bundle + b" "}
    assert_manifest_matches_any_source(root, expected)
    # nothing was written outside the root, and nothing inside it but Bronze
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and root not in p.parents]
    assert outside == []
    landed = {p.name for p in root.rglob("*.json") if "_metadata" not in p.parts}
    assert landed == {"good.json", "Jos\u00e9.json"}


def assert_manifest_matches_any_source(root: Path, expected: dict[str, bytes]) -> None:
    manifest = Manifest.load(root)
    assert sorted(f"{e.kind}/{e.name}" for e in manifest.entries) == sorted(expected)
    for e in manifest.entries:
        assert (root / e.path).read_bytes() == expected[f"{e.kind}/{e.name}"]
        assert e.path == f"bronze/fhir/cohort={e.cohort}/{e.name}"


def _largest_bundle(corpus: Corpus) -> tuple[str, int]:
    name, data = max(corpus.files("fhir").items(), key=lambda kv: len(kv[1]))
    assert len(data) > 1 << 20  # big enough that half of it spans several read chunks
    return f"{PREFIX}/fhir/{name}", len(data)


def _start_ingest(endpoint: str, root: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scribe_lakehouse", "ingest", "--root", str(root),
         "--source", f"s3://{BUCKET}/{PREFIX}", "--workers", "2", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(endpoint),
    )  # fmt: skip


def _parts(root: Path) -> list[Path]:
    return sorted((root / "bronze").rglob("*.part"))


@pytest.mark.parametrize("watch_between", [False, True], ids=["resume", "watch-then-resume"])
def test_interrupted_ingest_resumes_without_refetching(
    corpus: Corpus, tmp_path: Path, watch_between: bool
) -> None:
    """Kill the ingest while one large object is half-way through: the next run fetches nothing twice
    (only the missing tail of that object, by a ranged read), misses nothing, and every file is intact —
    also when `watch` registered the files the killed ingest had not recorded yet."""
    root = tmp_path / "lh"
    stall_key, size = _largest_bundle(corpus)
    expected = {f"{k}/{n}": d for k in ("fhir", "dna") for n, d in corpus.files(k).items()}
    proxy = FaultProxy(corpus.server.port).start()
    proxy.stall(BUCKET, stall_key, after_bytes=size // 2)
    proc = _start_ingest(proxy.url, root, "--with-dna")
    try:
        wait_for(proxy.stalled.is_set, "the large object to be half-sent")
        wait_for(lambda: len(bronze_files(root)) == len(expected) - 1, "every other object to land")
        wait_for(lambda: len(_parts(root)) == 1 and _parts(root)[0].stat().st_size > 0, "the part file")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        proxy.release(drop=True)
    part = _parts(root)[0]
    have = part.stat().st_size
    assert 0 < have < size
    assert (root / PLAN).exists()
    first_run = Counter(r.path for r in proxy.object_gets(BUCKET))
    assert set(first_run.values()) == {1} and len(first_run) == len(expected)
    recorded = len(Manifest.load(root).entries)  # a slow landing may have recorded some before the kill

    if watch_between:
        watched = subprocess.run(
            [sys.executable, "-m", "scribe_lakehouse", "watch", "--root", str(root), "--once",
             "--settle", "0", "--no-gold", "--json"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert watched.returncode == 0, watched.stderr[-3000:]
        assert json.loads(watched.stdout)["files_parsed"] >= 1

    mark = len(proxy.requests)
    resumed = subprocess.run(
        [sys.executable, "-m", "scribe_lakehouse", "ingest", "--root", str(root),
         "--source", f"s3://{BUCKET}/{PREFIX}", "--with-dna", "--json"],
        capture_output=True, text=True, env=_env(proxy.url), timeout=300, check=False,
    )  # fmt: skip
    proxy.close()
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    second_run = [r for r in proxy.requests[mark:] if r.is_object_get(BUCKET)]
    assert [(r.path, r.range) for r in second_run] == [(f"/{BUCKET}/{stall_key}", f"bytes={have}-")]
    summary = json.loads(resumed.stdout)
    # the files landed but not yet recorded when it was killed are adopted, not fetched again
    assert summary["resumed"] == summary["landed"] == len(expected) - recorded
    assert_manifest_matches(root, expected, PREFIX)
    assert {e.cohort for e in Manifest.load(root).fhir()} == {"A", "B", "C"}
    assert _parts(root) == [] and not (root / PLAN).exists()


def test_forbidden_object_gives_one_error_line_and_keeps_the_rest(tmp_path: Path) -> None:
    """A 403 (an object that is not public-read): one clear error line, exit 1, the other files kept and
    recorded; once the object is readable, the same command lands just that one."""
    folder = tmp_path / "src"
    (folder / "fhir").mkdir(parents=True)
    bundles = {f"{c}.json": json.dumps({"resourceType": "Bundle", "id": c}).encode() for c in "abcz"}
    for name, data in bundles.items():
        (folder / "fhir" / name).write_bytes(data)
    server = start_moto(tmp_path)
    try:
        seed(server, BUCKET, "locked", folder, private={"fhir/z.json"})
        root = tmp_path / "lh"
        failed = cli(server.url, "ingest", "--root", str(root), "--source", f"s3://{BUCKET}/locked")
        assert failed.returncode == 1
        assert "Traceback" not in failed.stderr
        lines = error_lines(failed.stderr)
        assert len(lines) == 1, failed.stderr
        assert "403" in lines[0] and "not public-read" in lines[0] and "kept the 3 file(s)" in lines[0]
        assert "z.json" not in failed.stderr  # object keys carry patient names: never printed
        kept = {f"fhir/{n}": d for n, d in bundles.items() if n != "z.json"}
        assert_manifest_matches(root, kept, "locked")

        server.admin().put_object_acl(Bucket=BUCKET, Key="locked/fhir/z.json", ACL="public-read")
        again = cli(server.url, "ingest", "--root", str(root), "--source", f"s3://{BUCKET}/locked", "--json")
        assert again.returncode == 0, again.stderr[-3000:]
        assert (json.loads(again.stdout)["landed"], json.loads(again.stdout)["skipped"]) == (1, 3)
        assert_manifest_matches(root, {f"fhir/{n}": d for n, d in bundles.items()}, "locked")
    finally:
        server.stop()


def test_server_killed_mid_ingest_gives_one_error_line_and_resumes(corpus: Corpus, tmp_path: Path) -> None:
    """The S3 server dies while a large object is half-way through: one clear error line, exit 1, every
    file landed before is kept and recorded; against a new server holding the same objects, the same
    command finishes the half-downloaded file from where it stopped."""
    root = tmp_path / "lh"
    stall_key, size = _largest_bundle(corpus)
    expected = {f"fhir/{n}": d for n, d in corpus.files("fhir").items()}
    folder = tmp_path / "fhir-only"
    (folder / "fhir").mkdir(parents=True)
    for name, data in corpus.files("fhir").items():
        (folder / "fhir" / name).write_bytes(data)
    server = start_moto(tmp_path)
    proxy = FaultProxy(server.port).start()
    try:
        seed(server, BUCKET, PREFIX, folder)
        proxy.stall(BUCKET, stall_key, after_bytes=size // 2)
        proc = _start_ingest(proxy.url, root)
        wait_for(proxy.stalled.is_set, "the large object to be half-sent")
        wait_for(lambda: len(bronze_files(root)) == len(expected) - 1, "every other object to land")
        server.stop()  # the server dies with a response half-sent ...
        proxy.release(drop=True)  # ... and the connection carrying it is cut (kernel buffers aside)
        _, stderr = proc.communicate(timeout=240)
    finally:
        proxy.close()
        server.stop()
    assert proc.returncode == 1
    assert "Traceback" not in stderr
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert "lost the connection to S3" in lines[0] and f"kept the {len(expected) - 1} file(s)" in lines[0]
    assert [n for n in corpus.files("fhir") if n.rsplit(".", 1)[0] in stderr] == []  # no file is named
    landed = {k: v for k, v in expected.items() if not k.endswith(stall_key.rsplit("/", 1)[1])}
    assert_manifest_matches(root, landed, PREFIX)
    have = _parts(root)[0].stat().st_size
    assert 0 < have < size

    revived = start_moto(tmp_path)
    proxy = FaultProxy(revived.port).start()
    try:
        seed(revived, BUCKET, PREFIX, folder)  # same bytes, so the same ETags
        done = subprocess.run(
            [sys.executable, "-m", "scribe_lakehouse", "ingest", "--root", str(root),
             "--source", f"s3://{BUCKET}/{PREFIX}", "--json"],
            capture_output=True, text=True, env=_env(proxy.url), timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        gets = [(r.path, r.range) for r in proxy.object_gets(BUCKET)]
        assert gets == [(f"/{BUCKET}/{stall_key}", f"bytes={have}-")]
    finally:
        proxy.close()
        revived.stop()
    assert_manifest_matches(root, expected, PREFIX)
    assert _parts(root) == [] and not (root / PLAN).exists()
