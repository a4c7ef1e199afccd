"""Code constants (LOINC, SNOMED CT) and the text rules that classify DiagnosticReports as ECG or
genomic and read a genomic conclusion."""

from __future__ import annotations

import re

# --- LOINC: ECG result observations ---
LOINC_ECG_RHYTHM = "8893-1"
LOINC_HEART_RATE = "8867-4"
LOINC_PR_INTERVAL = "8625-6"
LOINC_QRS_DURATION = ("8633-4", "8625-2")
# ECG report codes matched even when the display is missing
ECG_REPORT_CODES = frozenset({"11524-6", "34534-8", "18844-1", "93000"})

# --- LOINC: vitals used downstream (Gold) ---
LOINC_BP_PANEL = "85354-9"
LOINC_SYSTOLIC = "8480-6"
LOINC_DIASTOLIC = "8462-4"
LOINC_BODY_TEMPERATURE = "8310-5"
LOINC_SPO2 = ("2708-6", "59408-5")

# --- US Core extensions ---
US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"

_ECG = re.compile(r"\b(?:ecg|ekg)s?\b|electrocardiogra")
_GENOMIC = re.compile(r"genetic|genomic|gene\s+panel|germline|sequencing|variant|\bdna\b")
# Infectious-disease molecular tests say "DNA" or "variant" too ("Respiratory pathogens DNA and RNA
# panel … by NAA with probe detection", "SARS-CoV-2 variant"): any of these words means the report is
# about an organism, not the patient's genome.
_INFECTIOUS = re.compile(
    r"pathogen|microb|organism|infect|virus|viral|bacteri|fung|yeast|parasit|"
    r"\bnaa\b|nucleic acid amplification|probe detection|\brna\b|\bpcr\b|culture|"
    r"influenza|sars|\bcov\b|covid|\bhiv\b|hepatitis|\bhbv\b|\bhcv\b|chlamydia|trachomatis|gonorrh|"
    r"papilloma|\bhpv\b|herpes|\bhsv\b|\bcmv\b|cytomegalo|epstein|\bebv\b|mycobacter|tubercul|"
    r"streptococc|staphylococc|\bmrsa\b|clostridi|trichomon|candida|mycoplasma|bordetella|legionella"
)


def is_ecg_text(text: str) -> bool:
    """Lower-cased report code/category text mentions an electrocardiogram."""
    return _ECG.search(text) is not None


def is_genomic_text(text: str) -> bool:
    """Lower-cased report code/category text is about the patient's genome (not an infectious test)."""
    return _GENOMIC.search(text) is not None and _INFECTIOUS.search(text) is None


_CLAUSES = re.compile(r"[.;!?\n]+")
_PATHOGENIC = re.compile(r"(?<![\w-])pathogenic\b")
# a negation shortly before "pathogenic" in the same clause: "no (known) pathogenic", "negative for"
_NEGATED_BEFORE = re.compile(
    r"\b(?:no|not|without|negative\s+for|none\s+of|absence\s+of|free\s+of|ruled\s+out|nor)\b"
    r"[\w\s,/()-]{0,30}$"
)
# a negation right after it, before any comma: "… not detected", "pathogenic variants: negative"
_NEGATED_AFTER = re.compile(
    r"\b(?:not|never)\s+(?:been\s+)?(?:detected|identified|found|present|observed|seen)\b|"
    r"^\s*(?:variants?|mutations?|alterations?|findings?|changes?)?\s*(?:were|was|is|are)?\s*:?\s*"
    r"(?:absent|negative|none)\b"
)
_NON_PATHOGENIC = re.compile(r"\b(?:non|not)[\s-]*pathogenic\b")
_FAMILY_HISTORY = re.compile(r"\bfamily\s+(?:medical\s+)?history\b|\bfamilial\s+history\b")


def has_pathogenic_variant(conclusion: str | None) -> bool | None:
    """Does the conclusion report a (likely) pathogenic variant? Negations ("No pathogenic variants
    detected", "pathogenic variant not identified", "negative for …", "non-pathogenic") read as false;
    None when there is no conclusion."""
    if conclusion is None:
        return None
    lowered = conclusion.lower()
    if "pathogenic" not in lowered:
        return False
    for clause in _CLAUSES.split(lowered):
        clause = _NON_PATHOGENIC.sub(" ", clause)
        for match in _PATHOGENIC.finditer(clause):
            before = clause[: match.start()]
            after = clause[match.end() :].partition(",")[0]
            if _NEGATED_BEFORE.search(before) or _NEGATED_AFTER.search(after):
                continue
            return True
    return False


def mentions_family_history(conclusion: str | None) -> bool:
    """The conclusion mentions family history."""
    return conclusion is not None and _FAMILY_HISTORY.search(conclusion.lower()) is not None
