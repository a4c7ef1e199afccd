"""One synthetic life: a Synthea-shaped transaction Bundle, its DNA CSV and the DICOM studies to write.

Everything is drawn from one `random.Random(seed)`, so a patient's bytes depend only on its seed.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

import orjson

from scribe_lakehouse.synth import billing, clinical, measures, notes, people, special, visits
from scribe_lakehouse.synth import catalog as cat
from scribe_lakehouse.synth.fhirkit import Json, new_uuid, ref, ts, ts_ms, utc_date
from scribe_lakehouse.synth.model import Visit, new_person
from scribe_lakehouse.synth.providers import ProviderPool

END = int(dt.datetime(2022, 9, 1, tzinfo=dt.UTC).timestamp())  # the record's "today"
MEDIAN_ENCOUNTERS = 65  # Coherent: median 65, range 2..2,162, mean ~113 (a lognormal with sigma ~1.05)
ENCOUNTER_SIGMA = 1.05
MIN_ENCOUNTERS, MAX_ENCOUNTERS = 2, 2162
_YEAR = 365.2425 * 86400
_DAY = 86400
_IMAGING_BY_PROCEDURE = {
    "399208008": cat.IMAGING[0],
    "433236007": cat.IMAGING[1],
    "24623002": cat.IMAGING[2],
    "241046008": cat.IMAGING[3],
    "816077007": cat.MR_BRAIN,
}
_ECG_CONDITIONS = frozenset({"49436004", "53741008", "22298006", "88805009"})
_RESP_CONDITIONS = frozenset({"840539006", "233604007", "10509002", "195662009"})
_IMAGING_ERA = int(dt.datetime(1985, 1, 1, tzinfo=dt.UTC).timestamp())  # no MR/CT/DR studies before this
_FULL_VISITS_PER_YEAR = 2.5
_NAA_ERA = int(dt.datetime(2012, 1, 1, tzinfo=dt.UTC).timestamp())  # multiplex respiratory NAA panels
_GENOMICS_ERA = int(dt.datetime(2005, 1, 1, tzinfo=dt.UTC).timestamp())  # germline panels from here on
_CANCERS = frozenset({"254837009", "363406005"})
_CHRONIC_DOSAGE = (
    "Take 1 tablet by mouth daily.",
    "Take 1 tablet by mouth twice daily.",
    "Take 1 tablet by mouth every evening.",
)
# Chronic medications are ordered once, when started, and stay active (as in Synthea's bundles, where the
# active request per patient and medication is one); a few are discontinued ("stopped") over the years.
_DISCONTINUE_PER_YEAR = 0.005
_CONTRACEPTIVE = "748962"  # Camila 28 Day Pack
_ACUTE_DOSAGE = ("Take as needed.", "Take 1 tablet by mouth every 6 hours for 7 days.")


@dataclass(frozen=True)
class PatientFiles:
    bundle_name: str
    bundle: bytes
    dna_name: str
    dna: bytes
    dicom: tuple[special.DicomStudy, ...]
    encounters: int


def _report_code(report_entry: Json) -> Json:
    """The `code` concept of a DiagnosticReport entry (what its claim line bills)."""
    resource = report_entry["resource"]
    assert isinstance(resource, dict)
    code = resource["code"]
    assert isinstance(code, dict)
    return code


def encounter_count(rng: random.Random, scale: float) -> int:
    n = rng.lognormvariate(math.log(MEDIAN_ENCOUNTERS), ENCOUNTER_SIGMA) * scale
    return max(MIN_ENCOUNTERS, min(MAX_ENCOUNTERS, round(n)))


def build_patient(seed: int, pool: ProviderPool, *, scale: float = 1.0) -> PatientFiles:
    return _Builder(seed, pool, scale).build()


class _Builder:
    def __init__(self, seed: int, pool: ProviderPool, scale: float) -> None:
        self.rng = rng = random.Random(seed)
        self.pool = pool
        self.scale = scale
        self.birth_epoch = END - int(rng.uniform(1.0, 95.0) * _YEAR)
        age_now = (END - self.birth_epoch) / _YEAR
        self.death: int | None = None
        if age_now > 30 and rng.random() < 0.12:
            self.death = END - int(rng.uniform(0.1, min(age_now - 25, 15.0)) * _YEAR)
        self.p = new_person(rng, pool, birth=utc_date(self.birth_epoch), age_now=age_now)
        self.extra_given = f"{rng.choice(people.given_stems(self.p.gender))}{rng.randint(1, 999)}"
        self.baseline = measures.baseline(rng, self.p.gender)
        self.social = notes.social_history(self.p, rng)
        self.chronic: dict[str, tuple[cat.Condition, str]] = {}
        self.history: list[str] = []
        self.active_meds: dict[str, Json] = {}  # RxNorm -> the one active MedicationRequest resource
        self.acute_meds: dict[str, Json] = {}  # RxNorm -> an acute request still active at the end
        self.reviewed = self.birth_epoch  # time of the last medication review
        self.genomic_wanted = 2 if rng.random() < 0.2 else 0  # up to two germline panels
        self.genomic_done = 0
        self.ecg_patient = rng.random() < 0.1
        self.findings: list[special.GenomicFinding] = []
        self.dicom: list[special.DicomStudy] = []
        self.entries: list[Json] = []
        self.lean = 0.0

    # -- the life --------------------------------------------------------------------------------------------

    def build(self) -> PatientFiles:
        rng, p = self.rng, self.p
        end = self.death if self.death is not None else END
        n = encounter_count(rng, self.scale)
        times = sorted(rng.randint(self.birth_epoch + _DAY, end - _DAY) for _ in range(n))
        # Beyond ~2.5 visits a year the extra encounters are brief follow-ups (as for Coherent's heaviest
        # users: 2,162 encounters in a 35 MB bundle), so bytes per encounter fall as the count grows.
        self.lean = max(0.0, 1.0 - _FULL_VISITS_PER_YEAR * (end - self.birth_epoch) / _YEAR / n)
        ssn = f"999-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        self.entries.append(
            clinical.patient(p, self.extra_given, ssn, ts(self.death) if self.death else None)
        )
        for i, t in enumerate(times):
            self._encounter(t, first=i == 0, last=i == n - 1, end=end)
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": self.entries}
        stem = f"{p.given}_{p.family}_{p.pid}"
        return PatientFiles(
            bundle_name=stem + ".json",
            bundle=orjson.dumps(bundle, option=orjson.OPT_INDENT_2),
            dna_name=stem + "_dna.csv",
            dna=special.dna_csv(rng, self.findings),
            dicom=tuple(self.dicom),
            encounters=n,
        )

    def _visit(self, t: int, cls: str, type_code: str, type_display: str) -> Visit:
        rng, pool = self.rng, self.pool
        minutes = {"WELLNESS": (15, 45), "AMB": (15, 60), "EMER": (60, 240), "IMP": (1440, 8640)}[cls]
        end = t + 60 * rng.randint(*minutes)
        fidx = self.p.hospital if cls in ("EMER", "IMP") else self.p.primary
        eid = new_uuid(rng)
        return Visit(
            eid=eid,
            cls=cls,
            type_code=type_code,
            type_display=type_display,
            start=t,
            end=end,
            start_s=ts(t),
            end_s=ts(end),
            issued_s=ts_ms(t, rng.randint(0, 999)),
            practitioner=pool.practitioners[rng.choice(pool.staff[fidx])],
            facility=pool.facilities[fidx],
            enc_ref=ref(eid),
            age=int((t - self.birth_epoch) / _YEAR),
        )

    # -- one encounter ---------------------------------------------------------------------------------------

    def _encounter(self, t: int, *, first: bool, last: bool, end: int) -> None:
        rng, p = self.rng, self.p
        lean = not first and rng.random() < self.lean
        chronic = [c for c, _ in self.chronic.values()]
        if lean:
            cls, type_code, type_display, new, reason = visits.brief(rng, chronic)
        else:
            age = (t - self.birth_epoch) / _YEAR
            cls, type_code, type_display, new, reason = visits.choose(
                rng, t=t, age=age, first=first, chronic=chronic
            )
        v = self._visit(t, cls, type_code, type_display)
        self._review(t)
        v.reason = reason
        history_before = list(self.history)
        conds: list[Json] = []
        obs: list[Json] = []
        procs: list[Json] = []
        meds: list[Json] = []
        reports: list[Json] = []
        imaging: list[Json] = []
        for c in new:
            self._diagnose(v, c, end, conds, obs, procs, meds, reports, imaging)
        adult = v.age >= 18
        if cls == "WELLNESS" or rng.random() < (0.3 if lean else 0.35 if cls == "AMB" else 0.8):
            measures.vitals(
                p,
                v,
                rng,
                self.baseline,
                full=cls == "WELLNESS",
                hypertensive="59621000" in self.chronic,
                out=obs,
            )
        if cls == "WELLNESS":
            self._wellness(v, adult, obs, procs, reports, imaging)
            self._contraception(v, meds)
        if v.type_code == "371883000":
            procs.append(self._procedure(v, rng.choice(("76601001", "63332003", "269911007"))))
        if cls in ("EMER", "IMP") and rng.random() < (0.25 if cls == "EMER" else 1.0):
            reports.append(measures.lab_panel(p, v, rng, cat.PANELS[0], obs))
            if cls == "IMP":
                reports.append(measures.lab_panel(p, v, rng, cat.PANELS[1], obs))
                for code in rng.sample(("63332003", "76601001", "430193006", "710824005"), rng.randint(1, 3)):
                    procs.append(self._procedure(v, code))
        wellness_panel = cls == "WELLNESS" and rng.random() < 0.3
        if (
            self.genomic_done < self.genomic_wanted
            and t >= _GENOMICS_ERA
            and (wellness_panel or (last and not self.genomic_done))
        ):
            self.genomic_done += 1
            cancer = any(c in self.chronic for c in _CANCERS)
            finding = special.genomic(p, v, rng, cancer_history=cancer, out=reports)
            if finding is not None:
                self.findings.append(finding)
        note = notes.render(p, v, self.social, history_before, list(self.active_meds))
        note_dr, doc = notes.note_pair(p, v, new_uuid(rng), new_uuid(rng), note)
        claim_id = new_uuid(rng)
        v.billed += (_report_code(r) for r in reports)
        lines = billing.line_items(v, rng)
        imms = [clinical.immunization(p, v, iid, cvx) for iid, cvx, _ in v.immunizations]
        self.entries.append(clinical.encounter(p, v))
        self.entries += conds
        self.entries += obs
        self.entries += procs
        self.entries += imms
        self.entries += meds
        self.entries += reports
        self.entries += imaging
        self.entries.append(note_dr)
        self.entries.append(doc)
        self.entries.append(billing.encounter_claim(p, v, claim_id, lines))
        self.entries.append(billing.explanation_of_benefit(p, v, new_uuid(rng), claim_id, lines, rng))

    def _diagnose(
        self,
        v: Visit,
        c: cat.Condition,
        end: int,
        conds: list[Json],
        obs: list[Json],
        procs: list[Json],
        meds: list[Json],
        reports: list[Json],
        imaging: list[Json],
    ) -> None:
        rng, p = self.rng, self.p
        cid = new_uuid(rng)
        # chronic conditions rarely resolve; acute ones and findings often do (~1/3 of all abate)
        resolves = rng.random() < (0.03 if c.chronic else 0.45 if c.complaint else 0.25)
        abatement = v.start + rng.randint(7, 60) * _DAY if resolves else None
        if abatement is not None and abatement >= end:
            abatement = None
        conds.append(clinical.condition(p, v, cid, c, ts(abatement) if abatement is not None else None))
        v.new_conditions.append((cid, c.code, c.display))
        if c.complaint:
            v.complaints.append(c.complaint)
        if c.display not in self.history:
            self.history.append(c.display)
        if c.chronic and abatement is None:
            self.chronic[c.code] = (c, cid)
        if rng.random() < (0.9 if c.chronic else 0.3):
            conds.append(clinical.care_plan(p, v, new_uuid(rng), cid, c))
        for rx in c.meds if c.chronic else c.meds[:1]:
            self._prescribe(v, rx, c.chronic and abatement is None, end, meds)
        if c.procedure:
            procs.append(self._procedure(v, c.procedure))
            img = _IMAGING_BY_PROCEDURE.get(c.procedure)
            if img is not None and rng.random() < (0.35 if img is cat.MR_BRAIN else 0.9):
                self._image(v, img, imaging)
        if c.code in _ECG_CONDITIONS:
            reports.append(special.ecg(p, v, rng, atrial_fibrillation=c.code == "49436004", out=obs))
        if c.code in _RESP_CONDITIONS and v.start >= _NAA_ERA and rng.random() < 0.25:
            reports.append(special.respiratory_panel(p, v, rng, covid=c.code == "840539006", out=obs))

    def _wellness(
        self,
        v: Visit,
        adult: bool,
        obs: list[Json],
        procs: list[Json],
        reports: list[Json],
        imaging: list[Json],
    ) -> None:
        rng, p = self.rng, self.p
        if rng.random() < 0.7:
            measures.surveys(p, v, rng, rng.randint(1, 3), obs)
        if adult and rng.random() < 0.5:
            measures.smoking_status(p, v, rng, obs)
        if adult and rng.random() < 0.3:
            reports.append(measures.lab_panel(p, v, rng, rng.choice(cat.PANELS), obs))
        if "44054006" in self.chronic and rng.random() < 0.6:
            _, e = measures.lab_obs(p, v, rng, cat.HBA1C)
            obs.append(e)
        vaccines: list[str] = []
        if not adult and rng.random() < 0.3:
            vaccines = rng.sample(cat.CHILD_VACCINES, rng.randint(1, 2))
        elif adult:
            vaccines = (["140"] if rng.random() < 0.3 else []) + (
                [rng.choice(cat.ADULT_VACCINES)] if rng.random() < 0.04 else []
            )
        for cvx in vaccines:
            v.immunizations.append((new_uuid(rng), cvx, cat.IMMUNIZATIONS[cvx]))
        if adult:
            for code in cat.ROUTINE_PROCEDURES:
                if rng.random() < 0.2:
                    procs.append(self._procedure(v, code))
            if p.gender == "female" and v.age >= 40 and rng.random() < 0.15:
                procs.append(self._procedure(v, "24623002"))
                self._image(v, cat.IMAGING[2], imaging)
        if rng.random() < 0.05:
            procs.append(self._procedure(v, "241046008"))
            self._image(v, cat.IMAGING[3], imaging)
        if self.ecg_patient and rng.random() < 0.15:
            reports.append(special.ecg(p, v, rng, atrial_fibrillation="49436004" in self.chronic, out=obs))

    # -- helpers ---------------------------------------------------------------------------------------------

    def _procedure(self, v: Visit, code: str) -> Json:
        pid = new_uuid(self.rng)
        v.procedures.append((pid, code, cat.PROCEDURES[code]))
        return clinical.procedure(self.p, v, pid, code, 0 if self.rng.random() < 0.3 else 15)

    def _image(self, v: Visit, img: cat.Imaging, out: list[Json]) -> None:
        p = self.p
        if v.start < _IMAGING_ERA:
            return
        study = special.imaging(p, v, self.rng, img, f"{p.given}_{p.family}_{p.pid}", out)
        if study is not None:
            self.dicom.append(study)

    def _contraception(self, v: Visit, out: list[Json]) -> None:
        """Women of childbearing age may start a contraceptive at a wellness visit and stop it after 45."""
        held = self.active_meds.get(_CONTRACEPTIVE)
        if held is not None and v.age > 45:
            del self.active_meds[_CONTRACEPTIVE]
            held["status"] = "stopped"
        elif held is None and self.p.gender == "female" and 15 <= v.age <= 45 and self.rng.random() < 0.2:
            self._prescribe(v, _CONTRACEPTIVE, True, END, out)

    def _review(self, t: int) -> None:
        """Medication review at time `t`: a chronic medication is discontinued at a yearly hazard.

        Its one active request (authored when it was started; chronic medications are not re-ordered) turns
        "stopped" and it leaves the active list, so each (patient, medication) has at most one active request.
        """
        years = max(0, t - self.reviewed) / _YEAR
        self.reviewed = t
        if not self.active_meds or years <= 0:
            return
        chance = 1.0 - math.exp(-_DISCONTINUE_PER_YEAR * years)
        for rx in list(self.active_meds):
            if self.rng.random() < chance:
                self.active_meds.pop(rx)["status"] = "stopped"

    def _prescribe(self, v: Visit, rx: str, chronic: bool, end: int, out: list[Json]) -> None:
        rng, p = self.rng, self.p
        mid = new_uuid(rng)
        medication_id: str | None = None
        if rng.random() < 0.1:
            medication_id = new_uuid(rng)
            out.append(clinical.medication(medication_id, rx))
        if chronic:
            status = "active"
            previous = self.active_meds.get(rx)
            if previous is not None:  # ordered again for a second condition: the older order is stopped
                previous["status"] = "stopped"
            course = self.acute_meds.pop(rx, None)
            if course is not None:
                course["status"] = "completed"
        elif end - v.start < 30 * _DAY and rx not in self.active_meds and rx not in self.acute_meds:
            status = "active"  # a course still running when the record ends
        else:  # an acute course runs its ~30 days and completes
            status = "completed"
        dosage = None
        if rng.random() < 0.6:
            dosage = rng.choice(_CHRONIC_DOSAGE if chronic else _ACUTE_DOSAGE)
        e = clinical.medication_request(p, v, mid, rx, status, medication_id, dosage)
        if status == "active":
            resource = e["resource"]
            assert isinstance(resource, dict)
            (self.active_meds if chronic else self.acute_meds)[rx] = resource
        v.prescriptions.append((mid, rx))
        out.append(e)
        claim_id, cost = new_uuid(rng), round(rng.uniform(0.5, 250.0), 2)
        out.append(billing.medication_claim(p, v, claim_id, mid, rx, cost))
        lines = billing.medication_line(rx, cost)
        out.append(billing.explanation_of_benefit(p, v, new_uuid(rng), claim_id, lines, rng, pharmacy=True))
