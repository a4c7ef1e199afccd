"""Clinical note text: base64 attachment decoding and SOAP section detection.

A section is present when a Markdown header (`#` … `######`) names it anywhere in its text
(`# Assessment and Plan` counts for A and P, `## Lab Results` for O), or when a classic marker line
starts with exactly a section name followed by a colon (`SUBJECTIVE:`, `Physical exam: …`).
Matching is case-insensitive and on whole words.
"""

from __future__ import annotations

import binascii
import re
from typing import NamedTuple

from scribe_lakehouse.errors import InputError, ReasonCode
from scribe_lakehouse.fhir import fields as f
from scribe_lakehouse.fhir.fields import BundleContext, JsonObj
from scribe_lakehouse.fhir.model import Row
from scribe_lakehouse.fhir.references import binary_id

SUBJECTIVE_TERMS = (
    "subjective",
    "chief complaint",
    "history of present illness",
    "hpi",
    "social history",
    "allergies",
    "medications",
    "review of systems",
    "family history",
    "past medical history",
)
OBJECTIVE_TERMS = (
    "objective",
    "physical exam",
    "physical examination",
    "examination",
    "vital signs",
    "vitals",
    "laboratory",
    "labs",
    "results",
    "diagnostic results",
)
ASSESSMENT_TERMS = ("assessment", "impression", "diagnosis", "assessment and plan")
PLAN_TERMS = ("plan", "treatment", "treatment plan", "assessment and plan")

_SECTIONS = (SUBJECTIVE_TERMS, OBJECTIVE_TERMS, ASSESSMENT_TERMS, PLAN_TERMS)


def _words(terms: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b")


_HEADER_PATTERNS = tuple(_words(terms) for terms in _SECTIONS)
_MARKER_SETS = tuple(frozenset(terms) for terms in _SECTIONS)
# a classic marker: a short label at the start of a line, then a colon
_MARKER = re.compile(r"^[ \t]*([A-Za-z][A-Za-z /&]{0,40}?)[ \t]*:", re.MULTILINE)
_HEADER = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*(.*?)[ \t#:]*$", re.MULTILINE)
_SPACES = re.compile(r"\s+")
_NOTE_DATA = "content[0].attachment.data"
_WHITESPACE = re.compile(rb"[ \t\r\n\f\v]+")


class SoapFlags(NamedTuple):
    subjective: bool
    objective: bool
    assessment: bool
    plan: bool


NO_SECTIONS = SoapFlags(False, False, False, False)


def soap_flags(text: str) -> SoapFlags:
    """Which SOAP sections the note's headers or classic markers name."""
    found = [False, False, False, False]
    if "#" in text:
        for header in _HEADER.findall(text):
            lowered = header.lower()
            for i, pattern in enumerate(_HEADER_PATTERNS):
                if not found[i] and pattern.search(lowered):
                    found[i] = True
    if ":" in text:
        for label in _MARKER.findall(text):
            normal = _SPACES.sub(" ", label.strip().lower())
            for i, terms in enumerate(_MARKER_SETS):
                if normal in terms:
                    found[i] = True
    return SoapFlags(*found)


_WORD_CHUNK = 1 << 20


def word_count(text: str) -> int:
    """`len(text.split())` without building the list for a huge note (a 50 MB note is ~10 M words, and
    the list alone would take ~600 MB): split 1 MB chunks and join words cut at a chunk boundary."""
    if len(text) <= _WORD_CHUNK:
        return len(text.split())
    count = 0
    prev_ends_in_word = False
    for start in range(0, len(text), _WORD_CHUNK):
        chunk = text[start : start + _WORD_CHUNK]
        count += len(chunk.split())
        if prev_ends_in_word and not chunk[0].isspace():
            count -= 1  # the first word of this chunk continues the last word of the previous one
        prev_ends_in_word = not chunk[-1].isspace()
    return count


def decode_base64(data: str, field: str) -> bytes:
    """Standard base64 as in FHIR `base64Binary`; line breaks and missing padding are tolerated,
    anything else outside the alphabet is BAD_BASE64 naming `field`."""
    try:
        raw = data.encode("ascii")
    except UnicodeEncodeError:
        raise InputError(ReasonCode.BAD_BASE64, field) from None
    try:
        return binascii.a2b_base64(raw, strict_mode=True)
    except binascii.Error:
        pass
    compact = _WHITESPACE.sub(b"", raw)
    compact += b"=" * (-len(compact) % 4)
    try:
        return binascii.a2b_base64(compact, strict_mode=True)
    except binascii.Error:
        raise InputError(ReasonCode.BAD_BASE64, field) from None


def decode_text(data: str, field: str) -> str:
    """A base64 attachment decoded as UTF-8 text (a leading BOM dropped); NOT_UTF8 if it is not text."""
    raw = decode_base64(data, field)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(ReasonCode.NOT_UTF8, field) from None
    return text[1:] if text.startswith("\ufeff") else text


# --- DocumentReference -> soap_note row ---


def _note_text(r: JsonObj, b: BundleContext) -> tuple[str | None, str | None]:
    """(text, Binary id): content[0].attachment.data, else the Binary its url references."""
    content = f.first(r, "content")
    attachment = None if content is None else f.obj(content, "attachment", "content[0].")
    if attachment is None:
        return None, None
    data = f.string(attachment, "data", "content[0].attachment.")
    if data is not None:
        return decode_text(data, _NOTE_DATA), None
    url = f.string(attachment, "url", "content[0].attachment.")
    bid = binary_id(url) if url else None
    if url is None or bid is None:
        return None, None
    binary = b.find("Binary", url)
    if binary is None:
        return None, bid
    blob = f.string(binary, "data", "content[0].attachment.url.Binary.")
    text = None if blob is None else decode_text(blob, "content[0].attachment.url.Binary.data")
    return text, bid


def soap_note_row(r: JsonObj, b: BundleContext) -> Row:
    note_id = f.resource_id(r)
    patient_id = f.required_ref(r, "subject")
    context = f.obj(r, "context")
    encounter = None if context is None else f.first(context, "encounter", "context.")
    encounter_id = None if encounter is None else f.ref_value(encounter, "context.encounter[0]")
    if encounter_id is None:
        raise InputError(ReasonCode.MISSING_REFERENCE, "context.encounter[0]")
    text, bid = _note_text(r, b)
    flags = NO_SECTIONS if text is None else soap_flags(text)
    return {
        "note_id": note_id,
        "patient_id": patient_id,
        "encounter_id": encounter_id,
        "note_date": f.timestamp(r, "date"),
        "note_text": text,
        "has_subjective": flags.subjective,
        "has_objective": flags.objective,
        "has_assessment": flags.assessment,
        "has_plan": flags.plan,
        "char_count": None if text is None else len(text),
        "word_count": None if text is None else word_count(text),
        "binary_id": bid,
        "source_file": b.source_file,
    }
