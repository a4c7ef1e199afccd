"""Refer to identifying values (ids, names, file names) only as `ref:<first 10 hex of sha256>`."""

from __future__ import annotations

import hashlib
import re


def ref(value: str | bytes | None) -> str:
    """A stable, non-identifying handle for an identifying value, safe for log lines."""
    if value is None:
        return "ref:none"
    data = value.encode("utf-8") if isinstance(value, str) else value
    return "ref:" + hashlib.sha256(data).hexdigest()[:10]


# What an arbitrary message (an exception from a library, a path in an OSError) may carry that
# identifies someone: quoted values, paths, file names, UUIDs and DICOM/OID UIDs.
_IDENTIFYING = re.compile(
    r"""(?P<q>'[^'\n]*'|"[^"\n]*")"""  # a quoted value: 'Abe604_Smith….json', "urn:uuid:…"
    r"""|(?P<path>[^\s'"(),;]*[/\\][^\s'"(),;]*)"""  # anything with a path separator
    r"""|(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"""
    r"""|(?P<uid>\b\d+(?:\.\d+){3,}\b)"""  # an OID / DICOM UID
    r"""|(?P<file>[^\s'"(),;:]+\.(?:json|ndjson|dcm|csv|part|txt|xml)\b)""",  # a bare file name
)


def _replace(match: re.Match[str]) -> str:
    text = match.group(0)
    if match.group("q") is not None:
        quote = text[0]
        return f"{quote}{ref(text[1:-1])}{quote}"
    return ref(text)


def scrub(message: str) -> str:
    """`message` with every quoted value, path, file name, UUID and UID replaced by its `ref:`, so an
    exception text from anywhere can be shown on one PHI-safe line."""
    return _IDENTIFYING.sub(_replace, message)
