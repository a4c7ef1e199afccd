"""FHIR references -> bare ids.

`urn:uuid:x` -> `x`; `Patient/x`, `Patient/x/_history/2` and `https://host/fhir/Patient/x` -> `x`;
a conditional reference keeps its identifier value
(`Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999799` -> `9999999799`).
"""

from __future__ import annotations

from urllib.parse import unquote

_UUID = "urn:uuid:"
_OID = "urn:oid:"


def _conditional(query: str) -> str | None:
    """The value of a conditional reference's search: the identifier's value without its system."""
    params = [p.partition("=") for p in query.split("&") if p]
    if not params:
        return None
    chosen = next((p for p in params if p[0] == "identifier"), params[0])
    value = chosen[2]
    if "%" in value:
        value = unquote(value)
    return value.rpartition("|")[2] or None


def reference_id(reference: str) -> str | None:
    """The bare id a reference string points at, or None when it names nothing."""
    if reference.startswith(_UUID):
        return reference[9:] or None
    if "?" in reference:
        return _conditional(reference.partition("?")[2])
    if reference.startswith(_OID):
        return reference[8:] or None
    if reference.startswith("#"):
        return reference[1:] or None
    path = reference.partition("/_history/")[0].rstrip("/")
    return path.rpartition("/")[2] or None


def binary_id(url: str) -> str | None:
    """The id of the `Binary` an attachment url points at (`urn:uuid:x`, `Binary/x`, `…/Binary/x`);
    None for a url that is not a Binary reference."""
    if url.startswith(_UUID):
        return url[9:] or None
    path = url.partition("/_history/")[0].rstrip("/")
    head, sep, tail = path.rpartition("/")
    if sep and (head == "Binary" or head.endswith("/Binary")):
        return tail or None
    return None
