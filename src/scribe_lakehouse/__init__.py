"""scribe-lakehouse: Synthea Coherent FHIR R4 -> Bronze -> typed Silver Delta tables -> Gold corpus."""

__version__ = "0.1.0"
