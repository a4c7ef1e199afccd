"""Coherent-shaped synthetic data: FHIR R4 bundles, reference bundles, DNA CSVs and MR DICOM files."""

from scribe_lakehouse.synth.generator import GenerateSummary, generate

__all__ = ["GenerateSummary", "generate"]
