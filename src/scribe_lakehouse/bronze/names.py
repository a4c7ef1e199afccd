"""Safe local names for Bronze files, cohort labels, checksums."""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from pathlib import Path

from scribe_lakehouse.errors import InputError, ReasonCode

_MD5_ETAG = re.compile(r"[0-9a-f]{32}")
_MAX_NAME_BYTES = 240  # leaves room for "~<sha12>" and ".part" under the usual 255-byte limit


def cohort_label(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA, …"""
    letters = string.ascii_uppercase
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = letters[rem] + label
    return label


def safe_name(name: str) -> str:
    """A file name that cannot escape its folder: NFC-normalised, no separators, no `..`, no control,
    format (bidi) or unassigned characters, not hidden, not too long. Raises InputError otherwise."""
    if name.isascii():  # the usual case, ~20x faster: NFC is the identity, and category C is Cc only
        clean, controls = name, not name.isprintable()
    else:
        clean = unicodedata.normalize("NFC", name)
        controls = any(unicodedata.category(ch).startswith("C") for ch in clean)  # incl. surrogates
    if (
        controls
        or not clean
        or clean in {".", ".."}
        or "/" in clean
        or "\\" in clean
        or ".." in clean
        or clean.startswith(("~", "."))
        or clean.endswith((".part", ".tmp"))
        or len(clean.encode("utf-8")) > _MAX_NAME_BYTES
    ):
        raise InputError(ReasonCode.WRONG_TYPE, "file name is not a safe relative name")
    return clean


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def versioned_name(name: str, sha256: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}~{sha256[:12]}{dot}{ext}" if dot else f"{name}~{sha256[:12]}"


def md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_md5_etag(etag: str) -> bool:
    """A single-part S3 object's ETag is the MD5 of its bytes (multipart ETags end in -<parts>)."""
    return _MD5_ETAG.fullmatch(etag) is not None
