"""Clinical note text: base64 attachment decoding and SOAP section detection.

A section is present when a Markdown header (`#` … `######`) names it anywhere in its text
(`# Assessment and Plan` counts for A and P, `## Lab Results` for O), or when a classic marker line
starts with exactly a section name followed by a colon (`SUBJECTIVE:`, `Physical exam: …`).
Matching is case-insensitive and on whole words.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
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
_HEADER_MASKS: dict[str, int] = {}
_MARKER_MASKS: dict[str, int] = {}
_HEADER_LINES: dict[str, int] = {}
_MARKER_LINES: dict[str, int] = {}
_MEMO_MAX = 50_000
_NOTE_DATA = "content[0].attachment.data"
_WHITESPACE = re.compile(rb"[ \t\r\n\f\v]+")


class SoapFlags(NamedTuple):
    subjective: bool
    objective: bool
    assessment: bool
    plan: bool


NO_SECTIONS = SoapFlags(False, False, False, False)


def _header_mask(header: str) -> int:
    """Bit i set when section i's header words occur in `header` (memoised: notes are templated)."""
    mask = _HEADER_MASKS.get(header)
    if mask is None:
        lowered = header.lower()
        mask = sum(1 << i for i, pattern in enumerate(_HEADER_PATTERNS) if pattern.search(lowered))
        if len(_HEADER_MASKS) < _MEMO_MAX:
            _HEADER_MASKS[header] = mask
    return mask


def _marker_mask(label: str) -> int:
    """Bit i set when the classic marker `label` names section i (memoised)."""
    mask = _MARKER_MASKS.get(label)
    if mask is None:
        normal = _SPACES.sub(" ", label.strip().lower())
        mask = sum(1 << i for i, terms in enumerate(_MARKER_SETS) if normal in terms)
        if len(_MARKER_MASKS) < _MEMO_MAX:
            _MARKER_MASKS[label] = mask
    return mask


def _line_bits(
    line: str, pattern: re.Pattern[str], mask_of: Callable[[str], int], memo: dict[str, int]
) -> int:
    """The sections `line` names when it matches the line-anchored `pattern` (group 1 read by
    `mask_of`), memoised (templated notes repeat their header lines)."""
    match = pattern.match(line)
    bits = 0 if match is None else mask_of(match.group(1))
    if len(memo) < _MEMO_MAX:
        memo[line] = bits
    return bits


def _soap_mask(text: str) -> int:
    """Which SOAP sections the note's headers or classic markers name, as bits (1 S, 2 O, 4 A, 8 P).
    Only lines holding `#` (headers) or `:` (markers) are matched, each distinct line once: the same
    result as running both patterns over the whole text (a random-text test pins that)."""
    headers, markers = "#" in text, ":" in text
    if not (headers or markers):
        return 0
    mask = 0
    header_memo, marker_memo = _HEADER_LINES, _MARKER_LINES
    for line in text.split("\n"):
        if headers and "#" in line:
            bits = header_memo.get(line)
            mask |= _line_bits(line, _HEADER, _header_mask, header_memo) if bits is None else bits
        if markers and ":" in line:
            bits = marker_memo.get(line)
            mask |= _line_bits(line, _MARKER, _marker_mask, marker_memo) if bits is None else bits
    return mask


# the flags of each mask, made once
_MASK_FLAGS = tuple(SoapFlags(bool(m & 1), bool(m & 2), bool(m & 4), bool(m & 8)) for m in range(16))


def soap_flags(text: str) -> SoapFlags:
    """Which SOAP sections the note's headers or classic markers name."""
    return _MASK_FLAGS[_soap_mask(text)]


# str.split() separates words at these ASCII characters (Python's whitespace, \x1c-\x1f included)
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_SPACE_OR_WORD = bytes(32 if b in _ASCII_SPACE else 120 for b in range(128)) + b"x" * 128


_WORD_CHUNK = 1 << 20


def word_count(text: str) -> int:
    """`len(text.split())` without building the word list: counted in C for ASCII text; otherwise, for a
    huge note (a 50 MB note is ~10 M words, and the list alone would take ~600 MB), split 1 MB chunks
    and join words cut at a chunk boundary."""
    if text.isascii():
        return ascii_word_count(text.encode("ascii"))
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


def ascii_word_count(raw: bytes) -> int:
    """`word_count` of ASCII text given as bytes, counted in C (word starts after a space or at 0)."""
    marks = raw.translate(_SPACE_OR_WORD)
    return marks.count(b" x") + (marks[:1] == b"x")


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
    return bytes_text(decode_base64(data, field), field)


def bytes_text(raw: bytes, field: str) -> str:
    """Decoded attachment bytes as UTF-8 text (a leading BOM dropped); NOT_UTF8 if it is not text."""
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
