"""Code tables for the generator: the SNOMED CT, LOINC, RxNorm, CVX and DICOM codes Synthea emits.

Plain tuples, read-only; the builders turn them into shared (never mutated) FHIR dicts once per process.
"""

from __future__ import annotations

from typing import NamedTuple

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
DICOM_MODALITY = "http://dicom.nema.org/medical/dicom/current/output/chtml/part16/sect_CID_29.html"
UCUM = "http://unitsofmeasure.org"


class Condition(NamedTuple):
    code: str
    display: str
    chronic: bool
    complaint: str  # chief-complaint line, "" for none
    meds: tuple[str, ...]  # RxNorm codes prescribed for it
    procedure: str  # SNOMED procedure done at diagnosis, "" for none


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
}

CONDITIONS: tuple[Condition, ...] = (
    Condition("44054006", "Diabetes mellitus type 2 (disorder)", True, "Increased thirst", ("860975",), ""),
    Condition("59621000", "Essential hypertension (disorder)", True, "", ("314076", "197361"), ""),
    Condition("55822004", "Hyperlipidemia (disorder)", True, "", ("314231",), ""),
    Condition("15777000", "Prediabetes (disorder)", True, "", (), ""),
    Condition("195967001", "Asthma (disorder)", True, "Wheezing", ("895994", "2123111"), "23426006"),
    Condition("40055000", "Chronic sinusitis (disorder)", True, "Facial pain", (), ""),
    Condition("271737000", "Anemia (disorder)", True, "Fatigue", (), ""),
    Condition("49436004", "Atrial fibrillation (disorder)", True, "Palpitations", ("855332", "866414"), "29303009"),
    Condition("53741008", "Coronary Heart Disease (disorder)", True, "Chest pain", ("309362", "243670"), "29303009"),
    Condition("88805009", "Chronic congestive heart failure (disorder)", True, "Shortness of breath",
              ("1719286", "866414"), "433236007"),
    Condition("22298006", "Myocardial infarction (disorder)", False, "Crushing chest pain", ("243670",),
              "415070008"),
    Condition("230690007", "Cerebrovascular accident (disorder)", True, "Sudden weakness", ("309362",),
              "816077007"),
    Condition("37796009", "Migraine (disorder)", True, "Headache", ("849574",), "816077007"),
    Condition("26929004", "Alzheimer's disease (disorder)", True, "Memory loss", ("996740",), "816077007"),
    Condition("35489007", "Depressive disorder (disorder)", True, "Low mood", ("312938",), "171207006"),
    Condition("197480006", "Anxiety disorder (disorder)", True, "Nervousness", (), "171207006"),
    Condition("254837009", "Malignant neoplasm of breast (disorder)", True, "Breast lump", ("583214",),
              "24623002"),
    Condition("363406005", "Malignant neoplasm of colon (disorder)", True, "Blood in stool", ("1736854",),
              "73761001"),
    Condition("68496003", "Polyp of colon (disorder)", False, "", (), "73761001"),
    Condition("162864005", "Body mass index 30+ - obesity (finding)", True, "", (), ""),
    Condition("66383009", "Gingivitis (disorder)", False, "Bleeding gums", ("1535362",), ""),
    Condition("36971009", "Sinusitis (disorder)", False, "Nasal congestion", ("308182",), ""),
    Condition("444814009", "Viral sinusitis (disorder)", False, "Nasal congestion", ("313782",), ""),
    Condition("10509002", "Acute bronchitis (disorder)", False, "Cough", ("313782",), "399208008"),
    Condition("195662009", "Acute viral pharyngitis (disorder)", False, "Sore throat", ("313782",), "117015009"),
    Condition("43878008", "Streptococcal sore throat (disorder)", False, "Sore throat", ("834061",), "117015009"),
    Condition("65363002", "Otitis media (disorder)", False, "Ear pain", ("562251",), ""),
    Condition("233604007", "Pneumonia (disorder)", False, "Fever and cough", ("562251",), "399208008"),
    Condition("840539006", "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)", False,
              "Fever", ("313782",), "269911007"),
    Condition("62106007", "Concussion with no loss of consciousness (disorder)", False, "Head injury",
              ("313782",), "816077007"),
    Condition("39848009", "Whiplash injury to neck (disorder)", False, "Neck pain", ("310965",), ""),
    Condition("44465007", "Sprain of ankle (disorder)", False, "Ankle pain", ("310965",), "274474001"),
    Condition("58150001", "Fracture of clavicle (disorder)", False, "Shoulder pain", ("1049221",), "274474001"),
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

PANELS: tuple[Panel, ...] = (
    Panel("58410-2", "CBC panel - Blood by Automated count", (
        Lab("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 3.5, 10.5),
        Lab("789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 3.9, 5.7),
        Lab("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 17.0),
        Lab("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 35.0, 50.0),
        Lab("787-2", "MCV [Entitic volume] by Automated count", "fL", 80.0, 95.0),
        Lab("785-6", "MCH [Entitic mass] by Automated count", "pg", 27.0, 33.0),
        Lab("786-4", "MCHC [Mass/volume] by Automated count", "g/dL", 32.0, 36.0),
        Lab("21000-5", "Erythrocyte distribution width [Entitic volume] by Automated count", "fL", 39.0, 46.0),
        Lab("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150.0, 400.0),
    )),
    Panel("51990-0", "Basic metabolic panel - Blood", (
        Lab("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 65.0, 140.0),
        Lab("6299-2", "Urea nitrogen [Mass/volume] in Blood", "mg/dL", 7.0, 20.0),
        Lab("38483-4", "Creatinine [Mass/volume] in Blood", "mg/dL", 0.6, 1.3),
        Lab("49765-1", "Calcium [Mass/volume] in Blood", "mg/dL", 8.5, 10.2),
        Lab("2947-0", "Sodium [Moles/volume] in Blood", "mmol/L", 136.0, 145.0),
        Lab("6298-4", "Potassium [Moles/volume] in Blood", "mmol/L", 3.5, 5.1),
        Lab("2069-3", "Chloride [Moles/volume] in Blood", "mmol/L", 98.0, 107.0),
        Lab("20565-8", "Carbon dioxide, total [Moles/volume] in Blood", "mmol/L", 22.0, 29.0),
    )),
    Panel("57698-3", "Lipid panel with direct LDL - Serum or Plasma", (
        Lab("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 150.0, 250.0),
        Lab("2571-8", "Triglycerides [Mass/volume] in Serum or Plasma", "mg/dL", 50.0, 250.0),
        Lab("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay", "mg/dL", 70.0,
            190.0),
        Lab("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", 35.0, 80.0),
    )),
)
HBA1C = Lab("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.5, 9.5)

RESP_PANEL = ("92143-7",
              "Respiratory pathogens DNA and RNA panel - Respiratory specimen by NAA with probe detection")
RESP_TESTS: tuple[tuple[str, str], ...] = (
    ("92142-9", "Influenza virus A RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("92141-1", "Influenza virus B RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("92131-2", "Respiratory syncytial virus RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("92130-4", "Rhinovirus RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("92134-6", "Human metapneumovirus RNA [Presence] in Respiratory specimen by NAA with probe detection"),
    ("94500-6", "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection"),
)
DETECTED = ("260373001", "Detected (qualifier value)")
NOT_DETECTED = ("260415000", "Not detected (qualifier value)")

YES_NO = (("LA32-8", "No"), ("LA33-6", "Yes"))
SURVEYS: tuple[Survey, ...] = (
    Survey("59461-4", "Fall risk level [Morse Fall Scale]", (
        ("LA9194-8", "No Risk (MFS Score 0 - 24)"), ("LA13039-5", "Moderate Risk (MFS Score 25 - 45)"))),
    Survey("71802-3", "Housing status", (("LA31993-1", "I have housing"), ("LA31994-9", "I do not have housing"))),
    Survey("76501-6", "Within the last year, have you been afraid of your partner or ex-partner?", YES_NO),
    Survey("93030-5", "Has lack of transportation kept you from medical appointments, meetings, work, or from "
           "getting things needed for daily living?", YES_NO),
    Survey("93038-8", "Stress level", (("LA6568-5", "Not at all"), ("LA13863-8", "A little bit"),
                                       ("LA13909-9", "Somewhat"), ("LA13902-4", "Quite a bit"))),
    Survey("32624-9", "Marital status", (("LA48-4", "Married"), ("LA47-6", "Never married"),
                                         ("LA51-8", "Divorced"), ("LA49-2", "Widowed"))),
    Survey("93035-4", "Are you a refugee?", YES_NO),
    Survey("93031-3", "Have you spent more than 2 nights in a row in a jail, prison, detention center, or juvenile "
           "correctional facility in past 1 year?", YES_NO),
)
SMOKING = (("266919005", "Never smoked tobacco (finding)"), ("8517006", "Ex-smoker (finding)"),
           ("449868002", "Smokes tobacco daily (finding)"))

MR_BRAIN = Imaging("MR", "Magnetic Resonance", "12738006", "Brain", "1.2.840.10008.5.1.4.1.1.4",
                   "MR Image Storage", "816077007")
IMAGING: tuple[Imaging, ...] = (
    Imaging("DX", "Digital Radiography", "51185008", "Thoracic structure (body structure)",
            "1.2.840.10008.5.1.4.1.1.1.1", "Digital X-Ray Image Storage", "399208008"),
    Imaging("US", "Ultrasound", "80891009", "Heart structure (body structure)", "1.2.840.10008.5.1.4.1.1.3.1",
            "Ultrasound Multiframe Image Storage", "433236007"),
    Imaging("MG", "Mammography", "76752008", "Breast structure (body structure)", "1.2.840.10008.5.1.4.1.1.1.2",
            "Digital Mammography X-Ray Image Storage", "24623002"),
    Imaging("DX", "Digital Radiography", "700016008",
            "Structure of region of internal part of mouth (body structure)", "1.2.840.10008.5.1.4.1.1.1.3",
            "Digital Intra-Oral X-Ray Image", "241046008"),
    Imaging("CT", "Computed Tomography", "51185008", "Thoracic structure (body structure)",
            "1.2.840.10008.5.1.4.1.1.2", "CT Image Storage", "399208008"),
)
MR_SERIES = ("AX T1", "AX T2", "AX FLAIR", "SAG T1 MPRAGE", "AX DWI")

GENE_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Germline hereditary breast and ovarian cancer panel", ("BRCA1", "BRCA2")),
    ("Germline hereditary colorectal cancer panel", ("MLH1", "MSH2", "APC")),
    ("Germline cardiovascular disease risk panel", ("LDLR", "APOB", "PCSK9")),
    ("Germline hereditary cardiomyopathy panel", ("MYH7", "MYBPC3", "TNNT2")),
)
GENE_LOCI: dict[str, tuple[str, int]] = {
    "BRCA1": ("17", 43044295), "BRCA2": ("13", 32315474), "MLH1": ("3", 36993332), "MSH2": ("2", 47403067),
    "APC": ("5", 112707498), "LDLR": ("19", 11089462), "APOB": ("2", 21001429), "PCSK9": ("1", 55039548),
    "MYH7": ("14", 23412740), "MYBPC3": ("11", 47331406), "TNNT2": ("1", 201359008), "APOE": ("19", 44905796),
    "CYP2C19": ("10", 94762706), "MTHFR": ("1", 11785730), "F5": ("1", 169511878), "HFE": ("6", 26087281),
}
RELATIVES = ("mother", "father", "maternal grandmother", "paternal grandfather", "sister", "brother")

ECG_RHYTHMS: tuple[tuple[str, str, int, int], ...] = (  # conclusion, rhythm, heart-rate low, high
    ("Normal sinus rhythm. Normal ECG.", "Normal sinus rhythm", 60, 99),
    ("Sinus bradycardia. Otherwise normal ECG.", "Sinus bradycardia", 42, 59),
    ("Sinus tachycardia. Nonspecific ST-T wave changes.", "Sinus tachycardia", 101, 140),
    ("Atrial fibrillation with controlled ventricular response.", "Atrial fibrillation", 70, 110),
    ("Normal sinus rhythm with first degree AV block.", "Normal sinus rhythm", 55, 90),
)

PAYERS = ("Medicare", "Medicaid", "Blue Cross Blue Shield", "Aetna", "Cigna Health", "UnitedHealthcare",
          "Humana", "Anthem", "Dual Eligible", "NO_INSURANCE")
