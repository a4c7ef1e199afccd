from __future__ import annotations

import pytest

from scribe_lakehouse.redaction import ref, scrub

UUID = "0b1c2d3e-1111-2222-3333-444455556666"


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (
            f"[Errno 2] No such file or directory: '/lh/bronze/fhir/cohort=A/Abe604_Smith12_{UUID}.json'",
            "Abe604",
        ),
        ("cannot read Abe604_Smith12.json: truncated", "Abe604"),
        (f"patient {UUID} has no encounter", UUID),
        ('KeyError: "Abe604 Smith12"', "Abe604"),
        ("study 1.2.840.99999999.1.59750425.1234 is broken", "59750425"),
        (r"C:\data\Abe604.json missing", "Abe604"),
    ],
)
def test_scrub_removes_identifying_parts(message: str, secret: str) -> None:
    clean = scrub(message)
    assert secret not in clean and "ref:" in clean


def test_scrub_keeps_the_rest_and_is_stable() -> None:
    assert scrub("Generic error: Parquet error: EOF at offset 12 (3.5 MB)") == (
        "Generic error: Parquet error: EOF at offset 12 (3.5 MB)"
    )
    path = "/lh/x/Abe604.json"
    assert scrub(f"open {path} failed") == f"open {ref(path)} failed"
    assert scrub("value 'Abe604'") == f"value '{ref('Abe604')}'"
