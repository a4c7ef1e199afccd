"""Refer to identifying values (ids, names, file names) only as `ref:<first 10 hex of sha256>`."""

from __future__ import annotations

import hashlib


def ref(value: str | bytes | None) -> str:
    """A stable, non-identifying handle for an identifying value, safe for log lines."""
    if value is None:
        return "ref:none"
    data = value.encode("utf-8") if isinstance(value, str) else value
    return "ref:" + hashlib.sha256(data).hexdigest()[:10]
