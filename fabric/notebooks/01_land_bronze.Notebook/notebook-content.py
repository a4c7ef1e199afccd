# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   },
# META   "dependencies": {}
# META }

# MARKDOWN ********************

# # 01 · Land Bronze
# Copies the source bundles into `bronze/fhir/cohort=X/` (sorted, dealt round-robin into new cohorts,
# resumable, sha256 manifest) and the DICOM files into `bronze/dicom/`. On Fabric the default source is a
# OneLake shortcut `Files/coherent` to `s3://synthea-open-data/coherent/unzipped/` (docs/FABRIC.md).

# PARAMETERS CELL ********************

# Lakehouse root. Empty: the default lakehouse's Files/scribe_lakehouse on Fabric, else $LAKEHOUSE_ROOT.
ROOT = ""
# Source folder laid out like the Coherent prefix (fhir/, dicom/, dna/). Empty: the default shortcut.
SOURCE = ""
COHORTS = 3
MAX_FILES = 0  # 0 = all
WITH_DICOM = True

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }

# CELL ********************

from scribe_lakehouse.spark import fabric, pipeline

eng = fabric.notebook_engine(spark, root=ROOT or None)

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }

# CELL ********************

from pathlib import Path

from scribe_lakehouse.bronze.landing import land

kinds = ["fhir", "dicom"] if WITH_DICOM else ["fhir"]
source = Path(SOURCE) if SOURCE else fabric.default_source()
summary = land(source, eng.root.local, kinds=kinds, cohorts=COHORTS, max_files=MAX_FILES or None)
print(f"landed {summary.landed} file(s), {summary.bytes / 1e6:.1f} MB; skipped {summary.skipped}; "
      f"rejected {summary.rejected}; new cohorts {', '.join(summary.cohorts) or 'none'}")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
