"""Code tables for the generator: the SNOMED CT, LOINC, RxNorm, CVX and DICOM codes Synthea emits.

Plain tuples, read-only; the builders turn them into shared (never mutated) FHIR dicts once per process.
"""

from __future__ import annotations

from typing import NamedTuple

from scribe_lakehouse.synth.labcodes import (
    DETECTED as DETECTED,
)
from scribe_lakehouse.synth.labcodes import (
    ECG_RHYTHMS as ECG_RHYTHMS,
)
from scribe_lakehouse.synth.labcodes import (
    GENE_LOCI as GENE_LOCI,
)
from scribe_lakehouse.synth.labcodes import (
    GENE_PANELS as GENE_PANELS,
)
from scribe_lakehouse.synth.labcodes import (
    HBA1C as HBA1C,
)
from scribe_lakehouse.synth.labcodes import (
    IMAGING as IMAGING,
)
from scribe_lakehouse.synth.labcodes import (
    MR_BRAIN as MR_BRAIN,
)
from scribe_lakehouse.synth.labcodes import (
    MR_SERIES as MR_SERIES,
)
from scribe_lakehouse.synth.labcodes import (
    NOT_DETECTED as NOT_DETECTED,
)
from scribe_lakehouse.synth.labcodes import (
    PANELS as PANELS,
)
from scribe_lakehouse.synth.labcodes import (
    RELATIVES as RELATIVES,
)
from scribe_lakehouse.synth.labcodes import (
    RESP_PANEL as RESP_PANEL,
)
from scribe_lakehouse.synth.labcodes import (
    RESP_TESTS as RESP_TESTS,
)
from scribe_lakehouse.synth.labcodes import (
    SMOKING as SMOKING,
)
from scribe_lakehouse.synth.labcodes import (
    SURVEYS as SURVEYS,
)
from scribe_lakehouse.synth.labcodes import (
    YES_NO as YES_NO,
)
from scribe_lakehouse.synth.labcodes import (
    Imaging as Imaging,
)
from scribe_lakehouse.synth.labcodes import (
    Lab as Lab,
)
from scribe_lakehouse.synth.labcodes import (
    Panel as Panel,
)
from scribe_lakehouse.synth.labcodes import (
    Survey as Survey,
)

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
DICOM_MODALITY = "http://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_29.html"


class Condition(NamedTuple):
    code: str
    display: str
    chronic: bool
    complaint: str  # chief-complaint line, "" for none
    meds: tuple[str, ...]  # RxNorm codes prescribed for it
    procedure: str  # SNOMED procedure done at diagnosis, "" for none


MEDICATIONS: dict[str, str] = {
    "860975": "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
    "314076": "lisinopril 10 MG Oral Tablet",
    "197361": "amlodipine 5 MG Oral Tablet",
    "310798": "Hydrochlorothiazide 25 MG Oral Tablet",
    "314231": "Simvastatin 10 MG Oral Tablet",
    "259255": "atorvastatin 80 MG Oral Tablet",
    "895994": "120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler",
    "2123111": "NDA020503 200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
    "855332": "Warfarin Sodium 5 MG Oral Tablet",
    "866414": "24 HR Metoprolol succinate 100 MG Extended Release Oral Tablet",
    "309362": "Clopidogrel 75 MG Oral Tablet",
    "243670": "aspirin 81 MG Oral Tablet",
    "313782": "Acetaminophen 325 MG Oral Tablet",
    "308182": "Amoxicillin 250 MG Oral Capsule",
    "834061": "Penicillin V Potassium 250 MG Oral Tablet",
    "310965": "Ibuprofen 200 MG Oral Tablet",
    "849574": "Naproxen sodium 220 MG Oral Tablet",
    "1049221": "Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet",
    "312938": "sertraline 100 MG Oral Tablet",
    "996740": "Memantine hydrochloride 2 MG/ML Oral Solution",
    "106892": "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension",
    "562251": "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet",
    "1719286": "10 ML Furosemide 10 MG/ML Injection",
    "1014676": "cetirizine hydrochloride 5 MG Oral Tablet",
    "1535362": "sodium fluoride 0.0272 MG/MG Oral Gel",
    "748962": "Camila 28 Day Pack",
    "583214": "Paclitaxel 100 MG Injection",
    "1736854": "Cisplatin 50 MG Injection",
    "310325": "ferrous sulfate 325 MG Oral Tablet",
    "705129": "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray",
}

CONDITIONS: tuple[Condition, ...] = (
    Condition("44054006", "Diabetes mellitus type 2 (disorder)", True, "Increased thirst", ("860975",), ""),
    Condition("59621000", "Essential hypertension (disorder)", True, "", ("314076", "197361"), ""),
    Condition("55822004", "Hyperlipidemia (disorder)", True, "", ("314231",), ""),
    Condition("15777000", "Prediabetes (disorder)", True, "", (), ""),
    Condition("195967001", "Asthma (disorder)", True, "Wheezing", ("895994", "2123111"), "23426006"),
    Condition("40055000", "Chronic sinusitis (disorder)", True, "Facial pain", ("1014676",), ""),
    Condition("271737000", "Anemia (disorder)", True, "Fatigue", ("310325",), ""),
    Condition(
        "49436004", "Atrial fibrillation (disorder)", True, "Palpitations", ("855332", "866414"), "29303009"
    ),
    Condition(
        "53741008",
        "Coronary Heart Disease (disorder)",
        True,
        "Chest pain",
        ("309362", "243670", "705129"),
        "29303009",
    ),
    Condition(
        "88805009",
        "Chronic congestive heart failure (disorder)",
        True,
        "Shortness of breath",
        ("1719286", "866414"),
        "433236007",
    ),
    Condition(
        "22298006", "Myocardial infarction (disorder)", False, "Crushing chest pain", ("243670",), "415070008"
    ),
    Condition(
        "230690007", "Cerebrovascular accident (disorder)", True, "Sudden weakness", ("309362",), "816077007"
    ),
    Condition("37796009", "Migraine (disorder)", True, "Headache", ("849574",), "816077007"),
    Condition("26929004", "Alzheimer's disease (disorder)", True, "Memory loss", ("996740",), "816077007"),
    Condition("35489007", "Depressive disorder (disorder)", True, "Low mood", ("312938",), "171207006"),
    Condition("197480006", "Anxiety disorder (disorder)", True, "Nervousness", ("312938",), "171207006"),
    Condition(
        "254837009", "Malignant neoplasm of breast (disorder)", True, "Breast lump", ("583214",), "24623002"
    ),
    Condition(
        "363406005",
        "Malignant neoplasm of colon (disorder)",
        True,
        "Blood in stool",
        ("1736854",),
        "73761001",
    ),
    Condition("68496003", "Polyp of colon (disorder)", False, "", (), "73761001"),
    Condition("162864005", "Body mass index 30+ - obesity (finding)", True, "", (), ""),
    Condition("66383009", "Gingivitis (disorder)", False, "Bleeding gums", ("1535362",), ""),
    Condition("36971009", "Sinusitis (disorder)", False, "Nasal congestion", ("308182",), ""),
    Condition("444814009", "Viral sinusitis (disorder)", False, "Nasal congestion", ("313782",), ""),
    Condition("10509002", "Acute bronchitis (disorder)", False, "Cough", ("313782",), "399208008"),
    Condition(
        "195662009", "Acute viral pharyngitis (disorder)", False, "Sore throat", ("313782",), "117015009"
    ),
    Condition(
        "43878008", "Streptococcal sore throat (disorder)", False, "Sore throat", ("834061",), "117015009"
    ),
    Condition("65363002", "Otitis media (disorder)", False, "Ear pain", ("562251",), ""),
    Condition("233604007", "Pneumonia (disorder)", False, "Fever and cough", ("562251",), "399208008"),
    Condition(
        "840539006",
        "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)",
        False,
        "Fever",
        ("313782",),
        "269911007",
    ),
    Condition(
        "62106007",
        "Concussion with no loss of consciousness (disorder)",
        False,
        "Head injury",
        ("313782",),
        "816077007",
    ),
    Condition("39848009", "Whiplash injury to neck (disorder)", False, "Neck pain", ("310965",), ""),
    Condition("44465007", "Sprain of ankle (disorder)", False, "Ankle pain", ("310965",), "274474001"),
    Condition(
        "58150001", "Fracture of clavicle (disorder)", False, "Shoulder pain", ("1049221",), "274474001"
    ),
    Condition("284551006", "Laceration of foot (disorder)", False, "Foot wound", ("313782",), "288086009"),
    Condition("38822007", "Cystitis (disorder)", False, "Painful urination", ("562251",), ""),
    Condition("73595000", "Stress (finding)", False, "", (), ""),
    Condition("160903007", "Full-time employment (finding)", False, "", (), ""),
    Condition("314529007", "Medication review due (situation)", False, "", (), "430193006"),
    Condition("424393004", "Reports of violence in the environment (finding)", False, "", (), ""),
    Condition("422650009", "Social isolation (finding)", False, "", (), ""),
    Condition("224299000", "Received higher education (finding)", False, "", (), ""),
)

PROCEDURES: dict[str, str] = {
    "430193006": "Medication reconciliation (procedure)",
    "710824005": "Assessment of health and social care needs (procedure)",
    "171207006": "Depression screening (procedure)",
    "428211000124100": "Assessment of substance use (procedure)",
    "454711000124102": "Depression screening using Patient Health Questionnaire Two-Item score (procedure)",
    "73761001": "Colonoscopy (procedure)",
    "117015009": "Throat culture (procedure)",
    "23426006": "Measurement of respiratory function (procedure)",
    "399208008": "Plain X-ray of chest (procedure)",
    "274474001": "Bone immobilization (procedure)",
    "288086009": "Suture open wound (procedure)",
    "29303009": "Electrocardiographic procedure (procedure)",
    "415070008": "Percutaneous coronary intervention (procedure)",
    "433236007": "Transthoracic echocardiography (procedure)",
    "816077007": "Magnetic resonance imaging of brain (procedure)",
    "24623002": "Screening mammography (procedure)",
    "269911007": "Sputum examination (procedure)",
    "241046008": "Dental plain X-ray bitewing (procedure)",
    "76601001": "Intramuscular injection (procedure)",
    "63332003": "History AND physical examination (procedure)",
}
ROUTINE_PROCEDURES = ("430193006", "710824005", "171207006", "428211000124100", "454711000124102")

ENCOUNTER_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "WELLNESS": (
        ("162673000", "General examination of patient (procedure)"),
        ("185349003", "Encounter for check up (procedure)"),
        ("410620009", "Well child visit (procedure)"),
    ),
    "AMB": (
        ("185345009", "Encounter for symptom (procedure)"),
        ("185347001", "Encounter for problem (procedure)"),
        ("390906007", "Follow-up encounter (procedure)"),
        ("698314001", "Consultation for treatment (procedure)"),
        ("371883000", "Outpatient procedure (procedure)"),
    ),
    "EMER": (
        ("50849002", "Emergency room admission (procedure)"),
        ("183452005", "Emergency hospital admission (procedure)"),
    ),
    "IMP": (
        ("32485007", "Hospital admission (procedure)"),
        ("305408004", "Admission to surgical department (procedure)"),
    ),
}

IMMUNIZATIONS: dict[str, str] = {
    "140": "Influenza, seasonal, injectable, preservative free",
    "08": "Hep B, adolescent or pediatric",
    "20": "DTaP",
    "10": "IPV",
    "49": "Hib (PRP-OMP)",
    "133": "Pneumococcal conjugate PCV 13",
    "03": "MMR",
    "21": "varicella",
    "83": "Hep A, ped/adol, 2 dose",
    "113": "Td (adult) preservative free",
    "115": "Tdap",
    "62": "HPV, quadrivalent",
    "114": "meningococcal MCV4P",
    "121": "zoster",
    "33": "pneumococcal polysaccharide vaccine, 23 valent",
    "208": "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose",
}
CHILD_VACCINES = ("08", "20", "10", "49", "133", "03", "21", "83")
ADULT_VACCINES = ("113", "115", "62", "114", "121", "33", "208")

PAYERS = (
    "Medicare",
    "Medicaid",
    "Blue Cross Blue Shield",
    "Aetna",
    "Cigna Health",
    "UnitedHealthcare",
    "Humana",
    "Anthem",
    "Dual Eligible",
    "NO_INSURANCE",
)
