"""FHIR date, dateTime and instant strings -> `datetime.date` / timezone-aware UTC `datetime`.

Partial dates (`2020`, `2020-05`, `2020-05-01`) become midnight UTC of their first day; offsets are
converted to UTC; a time without an offset is read as UTC. Anything else raises `ValueError`.
"""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC
_fromiso = dt.datetime.fromisoformat
_date_fromiso = dt.date.fromisoformat


def _partial(value: str) -> tuple[int, int]:
    """Year and month of a `YYYY` or `YYYY-MM` partial date; ValueError otherwise."""
    n = len(value)
    if n == 4 and value.isascii() and value.isdigit():
        return int(value), 1
    if n == 7 and value[4] == "-" and value.isascii() and value[:4].isdigit() and value[5:].isdigit():
        return int(value[:4]), int(value[5:])
    raise ValueError("not a FHIR date")


def _aware(value: str) -> dt.datetime:
    """A FHIR date/dateTime/instant as an aware datetime at its own offset (UTC when it has none)."""
    if len(value) >= 10 and value[4] == "-" and value[7] == "-":
        # fromisoformat is far more lenient than FHIR (week dates, basic format); the dash
        # positions above keep it to extended calendar dates.
        parsed = _fromiso(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    year, month = _partial(value)
    return dt.datetime(year, month, 1, tzinfo=UTC)


def parse_datetime(value: str) -> dt.datetime:
    """A FHIR date/dateTime/instant as an aware UTC datetime."""
    parsed = _aware(value)
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def epoch_micros(value: str) -> int:
    """`parse_datetime(value)` as microseconds since the Unix epoch, exactly, without the conversion to
    UTC (~0.5 instead of ~0.7 µs: the typed path stores timestamps as these integers)."""
    delta = _aware(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros_to_datetime(micros: int) -> dt.datetime:
    """The UTC datetime of `epoch_micros`'s microseconds (exact: both sides count whole microseconds)."""
    return _EPOCH + dt.timedelta(microseconds=micros)


def parse_date(value: str) -> dt.date:
    """A FHIR `date` (birthDate): full or partial; a dateTime is not a date."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return _date_fromiso(value)
    year, month = _partial(value)
    return dt.date(year, month, 1)
