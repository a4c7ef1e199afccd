"""Typed, picklable errors and the reason codes of quarantine rows."""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    """Why a file or a resource went to silver.quarantine."""

    NOT_UTF8 = "not_utf8"
    EMPTY_FILE = "empty_file"
    INVALID_JSON = "invalid_json"
    NOT_A_BUNDLE = "not_a_bundle"
    MISSING_ID = "missing_id"
    WRONG_TYPE = "wrong_type"
    BAD_BASE64 = "bad_base64"
    BAD_DATE = "bad_date"
    MISSING_REFERENCE = "missing_reference"
    EXTRACTION_FAILED = "extraction_failed"


class LakehouseError(Exception):
    """Base of every error the product raises on purpose; its message is one clear, PHI-free line."""

    def __reduce__(self) -> tuple[type[LakehouseError], tuple[str, ...]]:
        return (type(self), tuple(str(a) for a in self.args))


class ConfigError(LakehouseError):
    """Bad configuration or usage: a missing root, an unknown cohort, a bad option."""


class WriteError(LakehouseError):
    """A table could not be written or committed."""


class LockedError(LakehouseError):
    """Another run holds the lakehouse lock."""


class InputError(LakehouseError):
    """A record or file that cannot be extracted; carries the reason code and the field it names."""

    def __init__(self, reason: ReasonCode | str, detail: str) -> None:
        super().__init__(str(reason), detail)
        self.reason = ReasonCode(reason)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        return (InputError, (str(self.reason), self.detail))


class SourceError(LakehouseError):
    """A landing source could not be listed or read (access denied, connection lost, object changed).

    `transient` says whether retrying the same read may succeed (a dropped connection) or not (a 403).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient

    def __reduce__(self) -> tuple[type[SourceError], tuple[str]]:
        return (SourceError, (str(self.args[0]),))
