"""Observations: vital signs (BP as components, both SpO2 codes), lab panels with their DiagnosticReport,
SDOH survey answers and smoking status."""

from __future__ import annotations

import random
from dataclasses import dataclass

from scribe_lakehouse.synth import catalog as cat
from scribe_lakehouse.synth import clinical
from scribe_lakehouse.synth.fhirkit import Json, concept, new_uuid, quantity
from scribe_lakehouse.synth.model import Person, Visit

_HR = concept(cat.LOINC, "8867-4", "Heart rate")
_RR = concept(cat.LOINC, "9279-1", "Respiratory rate")
_TEMP = concept(cat.LOINC, "8310-5", "Body temperature")
_HEIGHT = concept(cat.LOINC, "8302-2", "Body Height")
_WEIGHT = concept(cat.LOINC, "29463-7", "Body Weight")
_BMI = concept(cat.LOINC, "39156-5", "Body mass index (BMI) [Ratio]")
_PAIN = concept(cat.LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
_SMOKING = concept(cat.LOINC, "72166-2", "Tobacco smoking status")
_SPO2_ARTERIAL = {"system": cat.LOINC, "code": "2708-6", "display": "Oxygen saturation in Arterial blood"}
_SPO2_PULSE = {
    "system": cat.LOINC,
    "code": "59408-5",
    "display": "Oxygen saturation in Arterial blood by Pulse oximetry",
}
# Synthea writes both codes on one SpO2 observation, in either order; some records carry only one.
_SPO2_CODES: tuple[Json, ...] = (
    {"coding": [_SPO2_ARTERIAL, _SPO2_PULSE], "text": "Oxygen saturation in Arterial blood"},
    {
        "coding": [_SPO2_PULSE, _SPO2_ARTERIAL],
        "text": "Oxygen saturation in Arterial blood by Pulse oximetry",
    },
    {"coding": [_SPO2_ARTERIAL], "text": "Oxygen saturation in Arterial blood"},
)
_SURVEY_CODES = {s.code: concept(cat.LOINC, s.code, s.display) for s in cat.SURVEYS}


@dataclass(frozen=True)
class Baseline:
    """Per-patient physiology the vitals wander around."""

    height_cm: float
    weight_kg: float
    systolic: int
    diastolic: int
    spo2_style: int  # index into _SPO2_CODES


def baseline(rng: random.Random, gender: str) -> Baseline:
    height = rng.gauss(176.0 if gender == "male" else 163.0, 7.0)
    bmi = rng.uniform(19.0, 36.0)
    return Baseline(
        round(height, 1),
        round(bmi * (height / 100) ** 2, 1),
        rng.randint(105, 135),
        rng.randint(65, 88),
        rng.randrange(len(_SPO2_CODES)),
    )


def _growth(b: Baseline, age: int) -> tuple[float, float]:
    if age >= 18:
        return b.height_cm, b.weight_kg
    frac = 0.3 + 0.7 * age / 18
    return round(b.height_cm * frac, 1), round(b.weight_kg * frac * frac, 1)


def vitals(
    p: Person, v: Visit, rng: random.Random, b: Baseline, *, full: bool, hypertensive: bool, out: list[Json]
) -> None:
    """Heart rate, BP panel, temperature, SpO2; with `full` also height, weight, BMI, respiration and pain."""
    obs = clinical.observation
    if full:
        height, weight = _growth(b, v.age)
        weight = round(weight * rng.uniform(0.97, 1.03), 1)
        out.append(
            obs(
                p,
                v,
                new_uuid(rng),
                clinical.CAT_VITAL,
                _HEIGHT,
                "us-core-body-height",
                "valueQuantity",
                quantity(height, "cm"),
            )
        )
        out.append(
            obs(
                p,
                v,
                new_uuid(rng),
                clinical.CAT_VITAL,
                _WEIGHT,
                "us-core-body-weight",
                "valueQuantity",
                quantity(weight, "kg"),
            )
        )
        bmi = round(weight / (height / 100) ** 2, 2)
        out.append(
            obs(
                p,
                v,
                new_uuid(rng),
                clinical.CAT_VITAL,
                _BMI,
                "us-core-bmi",
                "valueQuantity",
                quantity(bmi, "kg/m2"),
            )
        )
    sys_add = 22 if hypertensive else 0
    systolic = b.systolic + sys_add + rng.randint(-8, 8)
    diastolic = b.diastolic + sys_add // 2 + rng.randint(-6, 6)
    out.append(clinical.blood_pressure(p, v, new_uuid(rng), systolic, diastolic))
    hr = rng.randint(58, 98) if v.cls != "EMER" else rng.randint(70, 125)
    out.append(
        obs(
            p,
            v,
            new_uuid(rng),
            clinical.CAT_VITAL,
            _HR,
            "us-core-heart-rate",
            "valueQuantity",
            quantity(hr, "/min"),
        )
    )
    fever = v.cls in ("EMER", "IMP") and rng.random() < 0.3
    temp = round(rng.uniform(38.0, 39.6) if fever else rng.uniform(36.3, 37.3), 1)
    out.append(
        obs(
            p,
            v,
            new_uuid(rng),
            clinical.CAT_VITAL,
            _TEMP,
            "us-core-body-temperature",
            "valueQuantity",
            quantity(temp, "Cel"),
        )
    )
    out.append(
        obs(
            p,
            v,
            new_uuid(rng),
            clinical.CAT_VITAL,
            _SPO2_CODES[b.spo2_style],
            "us-core-pulse-oximetry",
            "valueQuantity",
            quantity(rng.randint(92, 100) if fever else rng.randint(95, 100), "%"),
        )
    )
    if full:
        out.append(
            obs(
                p,
                v,
                new_uuid(rng),
                clinical.CAT_VITAL,
                _RR,
                "us-core-respiratory-rate",
                "valueQuantity",
                quantity(rng.randint(12, 18), "/min"),
            )
        )
        out.append(
            obs(
                p,
                v,
                new_uuid(rng),
                clinical.CAT_VITAL,
                _PAIN,
                "us-core-vital-signs",
                "valueQuantity",
                quantity(rng.randint(0, 4), "{score}"),
            )
        )


def _lab_value(rng: random.Random, lab: cat.Lab) -> float:
    span = lab.high - lab.low
    value = rng.uniform(lab.low - 0.1 * span, lab.high + 0.1 * span)
    return round(value, 1) if lab.high >= 20 else round(value, 2)


def lab_obs(p: Person, v: Visit, rng: random.Random, lab: cat.Lab) -> tuple[str, Json]:
    oid = new_uuid(rng)
    return oid, clinical.observation(
        p,
        v,
        oid,
        clinical.CAT_LAB,
        concept(cat.LOINC, lab.code, lab.display),
        "us-core-observation-lab",
        "valueQuantity",
        quantity(_lab_value(rng, lab), lab.unit),
    )


def lab_panel(p: Person, v: Visit, rng: random.Random, panel: cat.Panel, out: list[Json]) -> Json:
    """Append the panel's lab Observations to `out`; return its LAB DiagnosticReport entry."""
    results: list[Json] = []
    for lab in panel.labs:
        oid, e = lab_obs(p, v, rng, lab)
        out.append(e)
        results.append({"reference": "urn:uuid:" + oid, "display": lab.display})
    v.lab_reports.append(panel.display)
    return clinical.report(
        p, v, new_uuid(rng), clinical.lab_category(), concept(cat.LOINC, panel.code, panel.display), results
    )


def surveys(p: Person, v: Visit, rng: random.Random, count: int, out: list[Json]) -> None:
    """`count` SDOH questionnaire answers (valueCodeableConcept, category survey); each is billed."""
    for s in rng.sample(cat.SURVEYS, count):
        v.billed.append(_SURVEY_CODES[s.code])
        answer = s.answers[0] if rng.random() < 0.75 else rng.choice(s.answers)
        out.append(
            clinical.observation(
                p,
                v,
                new_uuid(rng),
                clinical.CAT_SURVEY,
                _SURVEY_CODES[s.code],
                "us-core-observation-survey",
                "valueCodeableConcept",
                concept(cat.LOINC, *answer),
            )
        )


def smoking_status(p: Person, v: Visit, rng: random.Random, out: list[Json]) -> None:
    out.append(
        clinical.observation(
            p,
            v,
            new_uuid(rng),
            clinical.CAT_SOCIAL,
            _SMOKING,
            "us-core-smokingstatus",
            "valueCodeableConcept",
            concept(cat.SNOMED, *p.smoking),
        )
    )
