"""Where Bronze files come from: a local folder or an S3 prefix read anonymously, behind one interface.

Both are laid out like the Coherent S3 prefix (`<source>/fhir/`, `dicom/`, `csv/`, `dna/`); a source with
no `fhir/` folder is read as a flat folder of bundles. S3 is read without credentials (public buckets such
as AWS Open Data); `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` point it at another S3-compatible store.
Messages name the bucket and prefix, never an object key (keys carry synthetic patient names).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from scribe_lakehouse.bronze.manifest import KIND_SUFFIX, Kind
from scribe_lakehouse.errors import ConfigError, SourceError
from scribe_lakehouse.redaction import ref

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "s3://synthea-open-data/coherent/unzipped/"
CHUNK = 1 << 20
# S3 bodies are read in smaller chunks: each chunk reaches the .part file, so a dropped connection
# leaves most of what arrived on disk for the ranged resume.
S3_CHUNK = 1 << 18


@dataclass(frozen=True)
class SourceObject:
    """One file of a source. `relative` is the part of the key below the kind folder (the candidate
    local name); `etag` is the S3 ETag without quotes (None for local files)."""

    kind: Kind
    key: str
    relative: str
    size: int
    etag: str | None
    url: str


class Source(Protocol):
    """A place files are listed and read from."""

    @property
    def url(self) -> str: ...

    def list(self, kind: Kind) -> list[SourceObject]: ...

    def read(self, obj: SourceObject, *, offset: int = 0) -> Iterator[bytes]:
        """The object's bytes from `offset` on, in chunks; raises SourceError."""
        ...


class LocalSource:
    """A local folder laid out like the Coherent prefix, or a flat folder of bundles."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ConfigError(f"source folder not found: {folder}")
        self.folder = folder.resolve()

    @property
    def url(self) -> str:
        return str(self.folder)

    def list(self, kind: Kind) -> list[SourceObject]:
        folder = self.folder / kind
        if not folder.is_dir() and kind == "fhir":
            folder = self.folder
        if not folder.is_dir():
            return []
        suffix = KIND_SUFFIX[kind]
        found = [p for p in folder.iterdir() if p.name.endswith(suffix) and p.is_file()]
        return [
            SourceObject(kind, str(p), p.name, p.stat().st_size, None, str(p))
            for p in sorted(found, key=lambda p: p.name)
        ]

    def read(self, obj: SourceObject, *, offset: int = 0) -> Iterator[bytes]:
        try:
            with open(obj.key, "rb") as fh:
                fh.seek(offset)
                yield from iter(lambda: fh.read(CHUNK), b"")
        except OSError as exc:
            raise SourceError(f"cannot read a file of {self.url} ({ref(obj.key)}): {exc.strerror}") from None


def parse_s3_url(url: str) -> tuple[str, str]:
    """s3://bucket/prefix → (bucket, "prefix/"); the prefix always ends with / (or is empty)."""
    if not url.startswith("s3://"):
        raise ConfigError(f"not an s3:// URL: {url}")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise ConfigError(f"no bucket in {url}")
    prefix = prefix.strip("/")
    return bucket, (prefix + "/" if prefix else "")


def s3_endpoint() -> str | None:
    """The standard AWS variables for another S3-compatible store (S3-specific one first)."""
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _botocore() -> Any:
    try:
        import botocore.session
        from botocore import UNSIGNED
        from botocore.config import Config
    except ImportError:
        raise ConfigError(
            "reading s3:// sources needs the s3 extra: pip install 'scribe-lakehouse[s3]'"
        ) from None
    return botocore.session, UNSIGNED, Config


class S3Source:
    """An S3 prefix read anonymously (unsigned requests), honouring AWS_ENDPOINT_URL(_S3)."""

    def __init__(self, url: str, *, workers: int = 8) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.endpoint = s3_endpoint()
        session_mod, unsigned, config_cls = _botocore()
        config = config_cls(
            signature_version=unsigned,
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=max(10, workers),
            s3={"addressing_style": "path"} if self.endpoint else {},
        )
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        session = session_mod.get_session()
        self._client = session.create_client(
            "s3", region_name=region, endpoint_url=self.endpoint, config=config
        )

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _list_prefix(self, prefix: str, *, flat: bool) -> list[dict[str, Any]]:
        paginator = self._client.get_paginator("list_objects_v2")
        args: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if flat:
            args["Delimiter"] = "/"
        found: list[dict[str, Any]] = []
        try:
            for page in paginator.paginate(**args):
                found.extend(page.get("Contents", []))
        except Exception as exc:
            raise self._error(exc, f"listing {self.url}") from None
        return found

    def list(self, kind: Kind) -> list[SourceObject]:
        base = f"{self.prefix}{kind}/"
        contents = self._list_prefix(base, flat=False)
        if not contents and kind == "fhir":  # a flat prefix of bundles
            base = self.prefix
            contents = self._list_prefix(base, flat=True)
        suffix = KIND_SUFFIX[kind]
        objects = [
            SourceObject(
                kind=kind,
                key=item["Key"],
                relative=item["Key"][len(base) :],
                size=int(item["Size"]),
                etag=str(item.get("ETag", "")).strip('"') or None,
                url=f"s3://{self.bucket}/{item['Key']}",
            )
            for item in contents
            if item["Key"].endswith(suffix)
        ]
        return sorted(objects, key=lambda o: o.relative)

    def read(self, obj: SourceObject, *, offset: int = 0) -> Iterator[bytes]:
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": obj.key}
        if obj.etag:
            args["IfMatch"] = f'"{obj.etag}"'
        if offset:
            args["Range"] = f"bytes={offset}-"
        what = f"an object under {self.url}{obj.kind}/ ({ref(obj.key)})"
        try:
            body = self._client.get_object(**args)["Body"]
            try:
                yield from body.iter_chunks(S3_CHUNK)
            finally:
                body.close()
        except SourceError:
            raise
        except Exception as exc:
            raise self._error(exc, f"reading {what}") from None

    def _error(self, exc: Exception, doing: str) -> SourceError:
        """One clear line for what went wrong; connection problems are transient."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
        )

        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            code = str(err.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 403 or code in {"403", "AccessDenied", "Forbidden"}:
                return SourceError(
                    f"S3 denied anonymous access (403) {doing}: the object or bucket is not public-read"
                )
            if code in {"NoSuchBucket"}:
                return SourceError(f"bucket {self.bucket} does not exist (listing {self.url})")
            if status == 412 or code == "PreconditionFailed":
                return SourceError(f"an object changed while {doing}; re-run ingest to land the new version")
            if code in {"NoSuchKey", "404"}:
                return SourceError(f"an object disappeared while {doing}; re-run ingest")
            return SourceError(f"S3 error {code or status} {doing}")
        endpoint = f" at {self.endpoint}" if self.endpoint else ""
        if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
            return SourceError(
                f"cannot reach S3{endpoint} {doing}: check the network (or AWS_ENDPOINT_URL)", transient=True
            )
        if isinstance(exc, BotoCoreError | OSError):
            return SourceError(f"lost the connection to S3{endpoint} {doing}", transient=True)
        return SourceError(f"{type(exc).__name__} {doing}")


def open_source(source: str | Path | Source | None, *, workers: int = 8) -> Source:
    """A Source for a local folder, an s3:// URL, or None (the Coherent bucket)."""
    if source is None:
        return S3Source(DEFAULT_SOURCE, workers=workers)
    if isinstance(source, str):
        if source.startswith("s3://"):
            return S3Source(source, workers=workers)
        if "://" in source:
            raise ConfigError(
                f"unsupported source (use a local folder or s3://): {source.split('://')[0]}://"
            )
        return LocalSource(Path(source))
    if isinstance(source, Path):
        return LocalSource(source)
    return source
