"""Small FHIR building blocks shared by the generator: ids, timestamps, codings, references, entries.

Codings and CodeableConcepts are built once and shared between resources (orjson serialises a shared dict
as many times as it is referenced); nothing here is ever mutated after construction.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from functools import lru_cache

Json = dict[str, object]

SYNTHEA_ID = "https://github.com/synthetichealth/synthea"
NPI = "http://hl7.org/fhir/sid/us-npi"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
_REQUESTS: dict[str, Json] = {}


def new_uuid(rng: random.Random) -> str:
    """A Synthea-style UUID string (random 128 bits, no version nibble), drawn from the caller's RNG."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=512)
def _dst_window(year: int) -> tuple[int, int]:
    """US Eastern daylight time in `year` as UTC epoch seconds [start, end) (2007+ rule for every year)."""
    march = dt.date(year, 3, 1)
    second_sunday = 1 + (6 - march.weekday()) % 7 + 7
    november = dt.date(year, 11, 1)
    first_sunday = 1 + (6 - november.weekday()) % 7
    start = dt.datetime(year, 3, second_sunday, 7, tzinfo=dt.UTC)
    end = dt.datetime(year, 11, first_sunday, 6, tzinfo=dt.UTC)
    return int(start.timestamp()), int(end.timestamp())


def _local(epoch: int) -> tuple[time.struct_time, str]:
    year = time.gmtime(epoch).tm_year
    start, end = _dst_window(year)
    if start <= epoch < end:
        return time.gmtime(epoch - 4 * 3600), "-04:00"
    return time.gmtime(epoch - 5 * 3600), "-05:00"


def ts(epoch: int) -> str:
    """ISO 8601 with a US Eastern offset, like Coherent: `2019-02-17T09:33:17-05:00`."""
    local, offset = _local(epoch)
    return time.strftime("%Y-%m-%dT%H:%M:%S", local) + offset


def ts_ms(epoch: int, millis: int) -> str:
    """As `ts` with milliseconds (Synthea's `issued` and note `date`)."""
    local, offset = _local(epoch)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', local)}.{millis:03d}{offset}"


def utc_date(epoch: int) -> dt.date:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).date()


@lru_cache(maxsize=4096)
def coding(system: str, code: str, display: str) -> Json:
    return {"system": system, "code": code, "display": display}


@lru_cache(maxsize=4096)
def concept(system: str, code: str, display: str) -> Json:
    """CodeableConcept with one coding and `text` (Synthea's usual shape)."""
    return {"coding": [coding(system, code, display)], "text": display}


@lru_cache(maxsize=256)
def bare_concept(system: str, code: str, display: str | None = None) -> Json:
    """CodeableConcept with one coding and no text (status, category and class-like fields)."""
    c: Json = {"system": system, "code": code}
    if display is not None:
        c["display"] = display
    return {"coding": [c]}


@lru_cache(maxsize=64)
def profile(name: str) -> Json:
    return {"profile": [US_CORE + name]}


def ref(resource_id: str) -> Json:
    return {"reference": "urn:uuid:" + resource_id}


@lru_cache(maxsize=4096)
def practitioner_ref(npi: str, display: str | None = None) -> Json:
    r: Json = {"reference": f"Practitioner?identifier={NPI}|{npi}"}
    if display is not None:
        r["display"] = display
    return r


@lru_cache(maxsize=4096)
def organization_ref(org_id: str, display: str) -> Json:
    return {"reference": f"Organization?identifier={SYNTHEA_ID}|{org_id}", "display": display}


@lru_cache(maxsize=4096)
def location_ref(loc_id: str, display: str) -> Json:
    return {"reference": f"Location?identifier={SYNTHEA_ID}|{loc_id}", "display": display}


def entry(resource: Json, rtype: str, rid: str) -> Json:
    """A transaction-bundle entry: fullUrl, resource, request POST <Type>."""
    request = _REQUESTS.get(rtype)
    if request is None:
        request = _REQUESTS[rtype] = {"method": "POST", "url": rtype}
    return {"fullUrl": "urn:uuid:" + rid, "resource": resource, "request": request}


def quantity(value: float, unit: str) -> Json:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


def money(value: float) -> Json:
    return {"value": value, "currency": "USD"}
