"""The Coherent extras: imaging studies (MR brain ones get a DICOM file), ECG reports, germline genomic
reports with the per-patient DNA CSV, and the respiratory pathogen panel (a lab test, not genomics)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from scribe_lakehouse.synth import catalog as cat
from scribe_lakehouse.synth import clinical
from scribe_lakehouse.synth.fhirkit import Json, concept, entry, location_ref, new_uuid, quantity
from scribe_lakehouse.synth.model import Person, Visit

UID_ROOT = "1.2.840.99999999"
_ECG_CODE = concept(cat.LOINC, "11524-6", "EKG study")
_ECG_HR = concept(cat.LOINC, "8867-4", "Heart rate")
_ECG_RHYTHM = concept(cat.LOINC, "8893-1", "Heart rate rhythm")
_ECG_PR = concept(cat.LOINC, "8625-6", "P-R Interval")
_ECG_QRS = concept(cat.LOINC, "8633-4", "QRS duration")
_GENOMIC_CODE = "55232-3"
_GENOMIC_DISPLAY = "Genetic analysis summary panel"
_LAB_RESULT = "us-core-observation-lab"
_RHYTHM_CODES = {
    "Normal sinus rhythm": "64730000",
    "Sinus bradycardia": "49710005",
    "Sinus tachycardia": "11092001",
    "Atrial fibrillation": "49436004",
}


@dataclass(frozen=True)
class DicomStudy:
    """What the DICOM writer needs for one MR brain study (one series, one instance)."""

    file_name: str
    patient_id: str
    patient_name: str  # DICOM PN, Family^Given
    birth_date: str  # YYYYMMDD
    sex: str  # M | F
    study_uid: str
    series_uid: str
    instance_uid: str
    study_date: str  # YYYYMMDD (local date of ImagingStudy.started)
    study_time: str  # HHMMSS
    series_description: str
    slice_thickness: float
    field_strength: float
    slice_index: int  # which phantom slice the pixels show


def _uid(rng: random.Random, middle: str, stamp: int) -> str:
    return f"{UID_ROOT}.{middle}{rng.randint(10_000_000, 99_999_999)}.{stamp}"


def imaging(
    p: Person, v: Visit, rng: random.Random, img: cat.Imaging, dicom_stem: str | None, out: list[Json]
) -> DicomStudy | None:
    """Append an ImagingStudy; an MR brain study (`dicom_stem` given) also returns its DICOM file spec."""
    stamp = abs(v.start) * 1000 + rng.randint(0, 999)  # epoch ms like Synthea; UIDs hold digits only
    study_uid = _uid(rng, "", stamp)
    if img is cat.MR_BRAIN:
        series = [(_uid(rng, "1.", stamp), [_uid(rng, "1.1.", stamp)])]
    else:
        series = [
            (_uid(rng, "1.", stamp), [_uid(rng, "1.1.", stamp) for _ in range(rng.randint(1, 3))])
            for _ in range(rng.randint(1, 2))
        ]
    out.append(imaging_study(p, v, new_uuid(rng), study_uid, series, img))
    if img is not cat.MR_BRAIN or dicom_stem is None:
        return None
    local = v.start_s
    return DicomStudy(
        file_name=f"{dicom_stem}{study_uid}.dcm",
        patient_id=p.pid,
        patient_name=f"{p.family}^{p.given}",
        birth_date=p.birth.strftime("%Y%m%d"),
        sex="M" if p.gender == "male" else "F",
        study_uid=study_uid,
        series_uid=series[0][0],
        instance_uid=series[0][1][0],
        study_date=local[0:4] + local[5:7] + local[8:10],
        study_time=local[11:13] + local[14:16] + local[17:19],
        series_description=rng.choice(cat.MR_SERIES),
        slice_thickness=rng.choice((1.0, 3.0, 5.0)),
        field_strength=rng.choice((1.5, 3.0)),
        slice_index=rng.randrange(8),
    )


def imaging_study(
    p: Person, v: Visit, sid: str, study_uid: str, series: list[tuple[str, list[str]]], img: cat.Imaging
) -> Json:
    """ImagingStudy with `urn:oid:` identifier; series[] carry bare modality/bodySite Codings."""
    modality = {"system": cat.DICOM_MODALITY, "code": img.modality, "display": img.modality_display}
    site = {"system": cat.SNOMED, "code": img.site_code, "display": img.site_display}
    sop = {"system": "urn:ietf:rfc:3986", "code": "urn:oid:" + img.sop_class}
    out_series: list[Json] = []
    for n, (series_uid, instance_uids) in enumerate(series, start=1):
        out_series.append(
            {
                "uid": series_uid,
                "number": n,
                "modality": modality,
                "numberOfInstances": len(instance_uids),
                "bodySite": site,
                "started": v.start_s,
                "instance": [
                    {"uid": uid, "sopClass": sop, "number": k, "title": img.title}
                    for k, uid in enumerate(instance_uids, start=1)
                ],
            }
        )
    res: Json = {
        "resourceType": "ImagingStudy",
        "id": sid,
        "identifier": [{"use": "official", "system": "urn:ietf:rfc:3986", "value": "urn:oid:" + study_uid}],
        "status": "available",
        "subject": p.subject,
        "encounter": v.enc_ref,
        "started": v.start_s,
        "numberOfSeries": len(series),
        "numberOfInstances": sum(len(s[1]) for s in series),
        "procedureCode": [concept(cat.SNOMED, img.procedure, cat.PROCEDURES[img.procedure])],
        "location": location_ref(v.facility.loc_id, v.facility.name),
        "series": out_series,
    }
    return entry(res, "ImagingStudy", sid)


def ecg(p: Person, v: Visit, rng: random.Random, *, atrial_fibrillation: bool, out: list[Json]) -> Json:
    """Four result Observations (HR, rhythm, PR, QRS) and the EKG DiagnosticReport that lists them."""
    conclusion, rhythm, lo, hi = cat.ECG_RHYTHMS[3] if atrial_fibrillation else rng.choice(cat.ECG_RHYTHMS)
    obs = clinical.observation
    values: list[tuple[Json, str, object]] = [
        (_ECG_HR, "valueQuantity", quantity(rng.randint(lo, hi), "/min")),
        (_ECG_RHYTHM, "valueString", rhythm)
        if rng.random() < 0.5
        else (_ECG_RHYTHM, "valueCodeableConcept", concept(cat.SNOMED, _RHYTHM_CODES[rhythm], rhythm)),
        (_ECG_PR, "valueQuantity", quantity(rng.randint(120, 210), "ms")),
        (_ECG_QRS, "valueQuantity", quantity(rng.randint(70, 118), "ms")),
    ]
    results: list[Json] = []
    for code, key, value in values:
        oid = new_uuid(rng)
        out.append(
            obs(p, v, oid, clinical.CAT_PROCEDURE, code, "us-core-observation-clinical-result", key, value)
        )
        results.append({"reference": "urn:uuid:" + oid, "display": str(code["text"])})
    return clinical.report(
        p,
        v,
        new_uuid(rng),
        clinical.ecg_category(),
        _ECG_CODE,
        results,
        conclusion,
        "us-core-diagnosticreport-note",
    )


@dataclass(frozen=True)
class GenomicFinding:
    gene: str
    variant: str  # HGVS-like, synthetic
    relative: str


def genomic(
    p: Person, v: Visit, rng: random.Random, *, cancer_history: bool, out: list[Json]
) -> GenomicFinding | None:
    """A germline panel report; returns the pathogenic finding it states, if any (for the DNA CSV)."""
    panel_name, genes = rng.choice(cat.GENE_PANELS)
    gene_list = "/".join(genes)
    finding: GenomicFinding | None = None
    if rng.random() < (0.45 if cancer_history else 0.2):
        gene = rng.choice(genes)
        finding = GenomicFinding(
            gene, f"c.{rng.randint(100, 9000)}del{rng.choice('ACGT')}", rng.choice(cat.RELATIVES)
        )
        conclusion = (
            f"Pathogenic variant detected in {gene} ({finding.variant}), heterozygous; "
            f"family history of related disease in {finding.relative}. "
            "Synthea simulated inheritance."
        )
    elif rng.random() < 0.3:
        conclusion = (
            f"No pathogenic variants detected in {gene_list}; variant of uncertain significance in "
            f"{rng.choice(genes)}. Family history of related disease in {rng.choice(cat.RELATIVES)}."
        )
    else:
        conclusion = f"No pathogenic variants detected in {gene_list}."
    code: Json = {
        "coding": [{"system": cat.LOINC, "code": _GENOMIC_CODE, "display": _GENOMIC_DISPLAY}],
        "text": f"{panel_name} ({gene_list}) - germline DNA sequencing",
    }
    out.append(
        clinical.report(
            p,
            v,
            new_uuid(rng),
            clinical.genetics_category(),
            code,
            [],
            conclusion,
            "us-core-diagnosticreport-lab",
        )
    )
    return finding


def respiratory_panel(p: Person, v: Visit, rng: random.Random, *, covid: bool, out: list[Json]) -> Json:
    """Infectious-disease NAA panel: mentions DNA/RNA but is a lab test, not a genomic report."""
    detected = "94500-6" if covid else (rng.choice(cat.RESP_TESTS)[0] if rng.random() < 0.4 else "")
    results: list[Json] = []
    for code, display in cat.RESP_TESTS:
        oid = new_uuid(rng)
        answer = cat.DETECTED if code == detected else cat.NOT_DETECTED
        out.append(
            clinical.observation(
                p,
                v,
                oid,
                clinical.CAT_LAB,
                concept(cat.LOINC, code, display),
                _LAB_RESULT,
                "valueCodeableConcept",
                concept(cat.SNOMED, *answer),
            )
        )
        results.append({"reference": "urn:uuid:" + oid, "display": display})
    v.lab_reports.append(cat.RESP_PANEL[1])
    return clinical.report(
        p, v, new_uuid(rng), clinical.lab_category(), concept(cat.LOINC, *cat.RESP_PANEL), results
    )


_BASES = "ACGT"


def dna_csv(rng: random.Random, findings: list[GenomicFinding]) -> bytes:
    """Synthetic germline variants, one row per variant, sorted by chromosome and position."""
    rows: list[tuple[int, int, str]] = []
    genes = list(cat.GENE_LOCI)
    for _ in range(rng.randint(30, 90)):
        gene = rng.choice(genes)
        chrom, base = cat.GENE_LOCI[gene]
        ref_base = rng.choice(_BASES)
        alt = rng.choice(_BASES.replace(ref_base, ""))
        pos = base + rng.randint(0, 80_000)
        genotype = rng.choice(("0/1", "0/1", "1/1"))
        significance = rng.choice(("benign", "benign", "likely_benign", "uncertain_significance"))
        rows.append(
            (
                int(chrom),
                pos,
                f"{chrom},{pos},rs{rng.randint(1000, 99_999_999)},{gene},{ref_base},{alt},.,"
                f"{genotype},{significance}",
            )
        )
    for f in findings:
        chrom, base = cat.GENE_LOCI[f.gene]
        pos = base + rng.randint(0, 80_000)
        rows.append(
            (int(chrom), pos, f"{chrom},{pos},.,{f.gene},{rng.choice(_BASES)},-,{f.variant},0/1,pathogenic")
        )
    rows.sort()
    header = "CHROMOSOME,POSITION,RSID,GENE,REF,ALT,HGVS,GENOTYPE,CLINICAL_SIGNIFICANCE\n"
    return (header + "".join(r[2] + "\n" for r in rows)).encode("utf-8")
