"""Code tables for results: lab panels, the respiratory pathogen panel, SDOH surveys, imaging (DICOM modality,
SNOMED body site, SOP class), germline gene panels and ECG rhythms. Re-exported by `catalog`."""

from __future__ import annotations

from typing import NamedTuple


class Lab(NamedTuple):
    code: str
    display: str
    unit: str
    low: float
    high: float


class Panel(NamedTuple):
    code: str
    display: str
    labs: tuple[Lab, ...]


class Survey(NamedTuple):
    code: str
    display: str
    answers: tuple[tuple[str, str], ...]  # LOINC answer (code, display)


class Imaging(NamedTuple):
    modality: str
    modality_display: str
    site_code: str
    site_display: str
    sop_class: str
    title: str
    procedure: str  # SNOMED procedure code (a key of PROCEDURES)


PANELS: tuple[Panel, ...] = (
    Panel(
        "58410-2",
        "CBC panel - Blood by Automated count",
        (
            Lab("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 3.5, 10.5),
            Lab("789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 3.9, 5.7),
            Lab("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 17.0),
            Lab("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 35.0, 50.0),
            Lab("787-2", "MCV [Entitic volume] by Automated count", "fL", 80.0, 95.0),
            Lab("785-6", "MCH [Entitic mass] by Automated count", "pg", 27.0, 33.0),
            Lab("786-4", "MCHC [Mass/volume] by Automated count", "g/dL", 32.0, 36.0),
            Lab(
                "21000-5",
                "Erythrocyte distribution width [Entitic volume] by Automated count",
                "fL",
                39.0,
                46.0,
            ),
            Lab("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150.0, 400.0),
        ),
    ),
    Panel(
        "51990-0",
        "Basic metabolic panel - Blood",
        (
            Lab("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 65.0, 140.0),
            Lab("6299-2", "Urea nitrogen [Mass/volume] in Blood", "mg/dL", 7.0, 20.0),
            Lab("38483-4", "Creatinine [Mass/volume] in Blood", "mg/dL", 0.6, 1.3),
            Lab("49765-1", "Calcium [Mass/volume] in Blood", "mg/dL", 8.5, 10.2),
            Lab("2947-0", "Sodium [Moles/volume] in Blood", "mmol/L", 136.0, 145.0),
            Lab("6298-4", "Potassium [Moles/volume] in Blood", "mmol/L", 3.5, 5.1),
            Lab("2069-3", "Chloride [Moles/volume] in Blood", "mmol/L", 98.0, 107.0),
            Lab("20565-8", "Carbon dioxide, total [Moles/volume] in Blood", "mmol/L", 22.0, 29.0),
        ),
    ),
    Panel(
        "57698-3",
        "Lipid panel with direct LDL - Serum or Plasma",
        (
            Lab("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 150.0, 250.0),
            Lab("2571-8", "Triglycerides [Mass/volume] in Serum or Plasma", "mg/dL", 50.0, 250.0),
            Lab(
                "18262-6",
                "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
                "mg/dL",
                70.0,
                190.0,
            ),
            Lab("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", 35.0, 80.0),
        ),
    ),
)
HBA1C = Lab("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.5, 9.5)

RESP_PANEL = (
    "92143-7",
    "Respiratory pathogens DNA and RNA panel - Respiratory specimen by NAA with probe detection",
)
RESP_TESTS: tuple[tuple[str, str], ...] = (
    ("92142-9", "Influenza virus A RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("92141-1", "Influenza virus B RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    (
        "92131-2",
        "Respiratory syncytial virus RNA [Presence] in Respiratory specimen by NAA with probe detection",
    ),
    ("92130-4", "Rhinovirus RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("92134-6", "Human metapneumovirus RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("94500-6", "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection"),
)
DETECTED = ("260373001", "Detected (qualifier value)")
NOT_DETECTED = ("260415000", "Not detected (qualifier value)")

YES_NO = (("LA32-8", "No"), ("LA33-6", "Yes"))
SURVEYS: tuple[Survey, ...] = (
    Survey(
        "59461-4",
        "Fall risk level [Morse Fall Scale]",
        (("LA9194-8", "No Risk (MFS Score 0 - 24)"), ("LA13039-5", "Moderate Risk (MFS Score 25 - 45)")),
    ),
    Survey(
        "71802-3", "Housing status", (("LA31993-1", "I have housing"), ("LA31994-9", "I do not have housing"))
    ),
    Survey("76501-6", "Within the last year, have you been afraid of your partner or ex-partner?", YES_NO),
    Survey(
        "93030-5",
        "Has lack of transportation kept you from medical appointments, meetings, work, or from "
        "getting things needed for daily living?",
        YES_NO,
    ),
    Survey(
        "93038-8",
        "Stress level",
        (
            ("LA6568-5", "Not at all"),
            ("LA13863-8", "A little bit"),
            ("LA13909-9", "Somewhat"),
            ("LA13902-4", "Quite a bit"),
        ),
    ),
    Survey(
        "32624-9",
        "Marital status",
        (("LA48-4", "Married"), ("LA47-6", "Never married"), ("LA51-8", "Divorced"), ("LA49-2", "Widowed")),
    ),
    Survey("93035-4", "Are you a refugee?", YES_NO),
    Survey(
        "93031-3",
        "Have you spent more than 2 nights in a row in a jail, prison, detention center, or juvenile "
        "correctional facility in past 1 year?",
        YES_NO,
    ),
)
SMOKING = (
    ("266919005", "Never smoked tobacco (finding)"),
    ("8517006", "Ex-smoker (finding)"),
    ("449868002", "Smokes tobacco daily (finding)"),
)

MR_BRAIN = Imaging(
    "MR",
    "Magnetic Resonance",
    "12738006",
    "Brain",
    "1.2.840.10008.5.1.4.1.1.4",
    "MR Image Storage",
    "816077007",
)
IMAGING: tuple[Imaging, ...] = (
    Imaging(
        "DX",
        "Digital Radiography",
        "51185008",
        "Thoracic structure (body structure)",
        "1.2.840.10008.5.1.4.1.1.1.1",
        "Digital X-Ray Image Storage",
        "399208008",
    ),
    Imaging(
        "US",
        "Ultrasound",
        "80891009",
        "Heart structure (body structure)",
        "1.2.840.10008.5.1.4.1.1.3.1",
        "Ultrasound Multiframe Image Storage",
        "433236007",
    ),
    Imaging(
        "MG",
        "Mammography",
        "76752008",
        "Breast structure (body structure)",
        "1.2.840.10008.5.1.4.1.1.1.2",
        "Digital Mammography X-Ray Image Storage",
        "24623002",
    ),
    Imaging(
        "DX",
        "Digital Radiography",
        "700016008",
        "Structure of region of internal part of mouth (body structure)",
        "1.2.840.10008.5.1.4.1.1.1.3",
        "Digital Intra-Oral X-Ray Image",
        "241046008",
    ),
    Imaging(
        "CT",
        "Computed Tomography",
        "51185008",
        "Thoracic structure (body structure)",
        "1.2.840.10008.5.1.4.1.1.2",
        "CT Image Storage",
        "399208008",
    ),
)
MR_SERIES = ("AX T1", "AX T2", "AX FLAIR", "SAG T1 MPRAGE", "AX DWI")

GENE_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Germline hereditary breast and ovarian cancer panel", ("BRCA1", "BRCA2")),
    ("Germline hereditary colorectal cancer panel", ("MLH1", "MSH2", "APC")),
    ("Germline cardiovascular disease risk panel", ("LDLR", "APOB", "PCSK9")),
    ("Germline hereditary cardiomyopathy panel", ("MYH7", "MYBPC3", "TNNT2")),
)
GENE_LOCI: dict[str, tuple[str, int]] = {
    "BRCA1": ("17", 43044295),
    "BRCA2": ("13", 32315474),
    "MLH1": ("3", 36993332),
    "MSH2": ("2", 47403067),
    "APC": ("5", 112707498),
    "LDLR": ("19", 11089462),
    "APOB": ("2", 21001429),
    "PCSK9": ("1", 55039548),
    "MYH7": ("14", 23412740),
    "MYBPC3": ("11", 47331406),
    "TNNT2": ("1", 201359008),
    "APOE": ("19", 44905796),
    "CYP2C19": ("10", 94762706),
    "MTHFR": ("1", 11785730),
    "F5": ("1", 169511878),
    "HFE": ("6", 26087281),
}
RELATIVES = ("mother", "father", "maternal grandmother", "paternal grandfather", "sister", "brother")

ECG_RHYTHMS: tuple[tuple[str, str, int, int], ...] = (  # conclusion, rhythm, heart-rate low, high
    ("Normal sinus rhythm. Normal ECG.", "Normal sinus rhythm", 60, 99),
    ("Sinus bradycardia. Otherwise normal ECG.", "Sinus bradycardia", 42, 59),
    ("Sinus tachycardia. Nonspecific ST-T wave changes.", "Sinus tachycardia", 101, 140),
    ("Atrial fibrillation with controlled ventricular response.", "Atrial fibrillation", 70, 110),
    ("Normal sinus rhythm with first degree AV block.", "Normal sinus rhythm", 55, 90),
)
