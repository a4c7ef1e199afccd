"""Typed accessors over parsed FHIR JSON that raise `InputError` naming the field, never the value.

Every accessor takes the parent object, the key and a `prefix` (the dotted path of the parent inside
the resource); the full field path is only built when something is wrong, so the happy path stays cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from scribe_lakehouse.errors import InputError, ReasonCode
from scribe_lakehouse.fhir.dates import parse_date, parse_datetime
from scribe_lakehouse.fhir.model import DicomHeader
from scribe_lakehouse.fhir.references import reference_id

JsonObj = dict[str, Any]


class BundleContext(Protocol):
    """What an extractor may ask of the bundle it is parsing."""

    @property
    def source_file(self) -> str: ...

    @property
    def dicom(self) -> Mapping[str, DicomHeader] | None: ...

    def find(self, resource_type: str, reference: str) -> JsonObj | None:
        """A resource of this bundle by reference (`urn:uuid:x`, `Type/x`, fullUrl), or None."""


_WRONG_TYPE = ReasonCode.WRONG_TYPE


def wrong_type(path: str) -> InputError:
    return InputError(_WRONG_TYPE, path)


def obj(parent: JsonObj, key: str, prefix: str = "") -> JsonObj | None:
    """An optional JSON object member."""
    value = parent.get(key)
    if value is None or type(value) is dict:
        return value
    raise wrong_type(prefix + key)


def lst(parent: JsonObj, key: str, prefix: str = "") -> list[Any] | None:
    """An optional JSON array member."""
    value = parent.get(key)
    if value is None or type(value) is list:
        return value
    raise wrong_type(prefix + key)


def first(parent: JsonObj, key: str, prefix: str = "") -> JsonObj | None:
    """The first element of an optional array of objects (`type[0]`, `content[0]`)."""
    value = parent.get(key)
    if value is None:
        return None
    if type(value) is not list:
        raise wrong_type(prefix + key)
    if not value:
        return None
    item = value[0]
    if type(item) is dict:
        return item
    raise wrong_type(f"{prefix}{key}[0]")


def string(parent: JsonObj, key: str, prefix: str = "") -> str | None:
    """An optional string member."""
    value = parent.get(key)
    if value is None or type(value) is str:
        return value
    raise wrong_type(prefix + key)


def number(parent: JsonObj, key: str, prefix: str = "") -> float | None:
    """An optional JSON number member as float (a bool or a quoted number is the wrong type)."""
    value = parent.get(key)
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    if value is None:
        return None
    raise wrong_type(prefix + key)


def integer(parent: JsonObj, key: str, prefix: str = "") -> int | None:
    """An optional JSON integer member."""
    value = parent.get(key)
    if value is None or type(value) is int:
        return value
    raise wrong_type(prefix + key)


def boolean(parent: JsonObj, key: str, prefix: str = "") -> bool | None:
    """An optional JSON boolean member."""
    value = parent.get(key)
    if value is None or type(value) is bool:
        return value
    raise wrong_type(prefix + key)


def timestamp(parent: JsonObj, key: str, prefix: str = "") -> dt.datetime | None:
    """An optional FHIR date/dateTime/instant member as an aware UTC datetime (BAD_DATE if unparseable)."""
    value = parent.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise wrong_type(prefix + key)
    try:
        return parse_datetime(value)
    except ValueError:
        raise InputError(ReasonCode.BAD_DATE, prefix + key) from None


def date(parent: JsonObj, key: str, prefix: str = "") -> dt.date | None:
    """An optional FHIR date member (BAD_DATE if unparseable)."""
    value = parent.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise wrong_type(prefix + key)
    try:
        return parse_date(value)
    except ValueError:
        raise InputError(ReasonCode.BAD_DATE, prefix + key) from None


def coding(cc: JsonObj | None, prefix: str) -> tuple[str | None, str | None]:
    """(code, display) of a CodeableConcept's coding[0]; the display falls back to `text`.
    `prefix` is the concept's own path ("code", "type[0]")."""
    if cc is None:
        return None, None
    codings = cc.get("coding")
    code = display = None
    if codings is not None:
        if type(codings) is not list:
            raise wrong_type(prefix + ".coding")
        if codings:
            c0 = codings[0]
            if type(c0) is not dict:
                raise wrong_type(prefix + ".coding[0]")
            code = string(c0, "code", prefix + ".coding[0].")
            display = string(c0, "display", prefix + ".coding[0].")
    if display is None:
        display = string(cc, "text", prefix + ".")
    return code, display


def concept(parent: JsonObj, key: str, prefix: str = "") -> tuple[str | None, str | None]:
    """(code, display) of an optional CodeableConcept member."""
    return coding(obj(parent, key, prefix), prefix + key)


def first_concept(parent: JsonObj, key: str, prefix: str = "") -> tuple[str | None, str | None]:
    """(code, display) of the first CodeableConcept of an optional array (`type[0]`)."""
    return coding(first(parent, key, prefix), f"{prefix}{key}[0]")


def bare_coding(parent: JsonObj, key: str, prefix: str = "") -> tuple[str | None, str | None]:
    """(code, display) of an optional bare Coding member (`series[0].modality`)."""
    c = obj(parent, key, prefix)
    if c is None:
        return None, None
    path = f"{prefix}{key}."
    return string(c, "code", path), string(c, "display", path)


def ref_value(ref: JsonObj, path: str) -> str | None:
    """Bare id of a Reference object; a logical reference (`identifier.value`) is used when there is
    no `reference` string."""
    value = ref.get("reference")
    if type(value) is str:
        return reference_id(value)
    if value is not None:
        raise wrong_type(path + ".reference")
    ident = ref.get("identifier")
    if ident is None:
        return None
    if type(ident) is not dict:
        raise wrong_type(path + ".identifier")
    return string(ident, "value", path + ".identifier.")


def ref(parent: JsonObj, key: str, prefix: str = "") -> str | None:
    """Bare id of an optional Reference member (`subject`, `encounter`)."""
    value = parent.get(key)
    if value is None:
        return None
    if type(value) is not dict:
        raise wrong_type(prefix + key)
    return ref_value(value, prefix + key)


def required_ref(parent: JsonObj, key: str, prefix: str = "") -> str:
    """Bare id of a Reference the row cannot do without (MISSING_REFERENCE when absent)."""
    value = ref(parent, key, prefix)
    if value is None:
        raise InputError(ReasonCode.MISSING_REFERENCE, prefix + key)
    return value


def resource_id(resource: JsonObj) -> str:
    """`Resource.id` (MISSING_ID when absent or empty)."""
    value = resource.get("id")
    if type(value) is str and value:
        return value
    if value is None or value == "":
        raise InputError(ReasonCode.MISSING_ID, "id")
    raise wrong_type("id")
