"""Note decoding (base64 variants) and SOAP section detection (Markdown headers and classic markers)."""

from __future__ import annotations

import base64

import pytest

from scribe_lakehouse.errors import InputError, ReasonCode
from scribe_lakehouse.fhir.notes import SoapFlags, decode_base64, decode_text, soap_flags, word_count

FIELD = "content[0].attachment.data"


def enc(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "raw", [b"", b"a", b"ab", b"abc", "Ünïcödé note — ✓".encode(), bytes(range(256)) * 3]
)
def test_decode_base64_round_trips(raw: bytes) -> None:
    assert decode_base64(enc(raw), FIELD) == raw


def test_decode_base64_tolerates_line_breaks_and_missing_padding() -> None:
    raw = b"Patient presents with a cough lasting three days." * 4
    text = enc(raw)
    wrapped = "\r\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    assert decode_base64(wrapped, FIELD) == raw
    assert decode_base64(" " + wrapped + "\n", FIELD) == raw
    assert decode_base64(enc(b"ab").rstrip("="), FIELD) == b"ab"


@pytest.mark.parametrize("bad", ["not base64!", "aGVsbG8=aGVs", "a", "aGVs\u00e9bG8=", "aGV-bG8_"])
def test_decode_base64_rejects_naming_the_field(bad: str) -> None:
    with pytest.raises(InputError) as info:
        decode_base64(bad, FIELD)
    assert info.value.reason is ReasonCode.BAD_BASE64
    assert info.value.detail == FIELD
    assert str(info.value) == f"bad_base64: {FIELD}"  # the field, never the value


def test_decode_text_drops_bom_and_rejects_non_utf8() -> None:
    assert decode_text(enc("\ufeffhello".encode()), FIELD) == "hello"
    with pytest.raises(InputError) as info:
        decode_text(enc(b"\xff\xfe\x00binary"), FIELD)
    assert info.value.reason is ReasonCode.NOT_UTF8
    assert info.value.detail == FIELD


SYNTHEA = """
2015-10-27

# Chief Complaint
No complaints.

# History of Present Illness
Patient is a 16 year-old male.

# Social History
 Patient has never smoked.

# Allergies
No Known Allergies.

# Medications
No Active Medications.

# Assessment and Plan
Patient is presenting with risk activity involvement (finding).

## Plan

"""


def test_synthea_markdown_note_has_s_a_p_but_no_o() -> None:
    assert soap_flags(SYNTHEA) == SoapFlags(True, False, True, True)


def test_classic_soap_markers() -> None:
    note = "SUBJECTIVE: cough x3 days\nObjective:\nT 38.1\nASSESSMENT : viral URI\nPlan: fluids\n"
    assert soap_flags(note) == SoapFlags(True, True, True, True)


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("## Physical Examination\nclear", SoapFlags(False, True, False, False)),
        ("### Vital Signs\nBP 120/80", SoapFlags(False, True, False, False)),
        ("# Lab Results\nnormal", SoapFlags(False, True, False, False)),
        ("# Impression\nwell", SoapFlags(False, False, True, False)),
        ("# Treatment Plan\nrest", SoapFlags(False, False, False, True)),
        ("# Review of Systems\nneg", SoapFlags(True, False, False, False)),
        ("#HPI\ncough", SoapFlags(True, False, False, False)),
        ("# ASSESSMENT AND PLAN:\nok", SoapFlags(False, False, True, True)),
        ("Diagnosis: influenza", SoapFlags(False, False, True, False)),
        ("Family History: none", SoapFlags(True, False, False, False)),
    ],
)
def test_section_words(note: str, expected: SoapFlags) -> None:
    assert soap_flags(note) == expected


@pytest.mark.parametrize(
    "note",
    [
        "",
        "Patient has a plan to travel and an assessment scheduled.",  # words in prose, not headers
        "The plan: rest",  # a marker must be exactly a section name
        "# Planning committee\n",  # whole words only
        "# Chiefly complaining\n",
        "hashtag #plan in text",
    ],
)
def test_no_false_sections(note: str) -> None:
    assert soap_flags(note) == SoapFlags(False, False, False, False)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "one two  three\n",
        "x" * (1 << 20) + " tail",  # a word ending exactly at a chunk boundary
        "x" * ((1 << 20) - 1) + " " + "y" * 10,  # a space right before the boundary
        ("word " * 500_000) + "\u2003end",  # unicode whitespace
        "ab " * 400_000 + "c" * (1 << 20),
    ],
)
def test_word_count_equals_split_on_huge_notes(text: str) -> None:
    assert word_count(text) == len(text.split())
