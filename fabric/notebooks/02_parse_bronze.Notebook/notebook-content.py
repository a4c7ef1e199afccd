# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   },
# META   "dependencies": {}
# META }

# MARKDOWN ********************

# # 02 · Parse Bronze
# Reads the Bronze bundles not yet in Silver as whole files (binaryFile) and parses each once on the
# executors with the package's parser (`mapInArrow`), writing rows for all 10 Silver tables, quarantine
# records and counts to `_spark_staging/`. Notebooks 03–07 MERGE them; nothing is in Silver yet.

# PARAMETERS CELL ********************

# Lakehouse root. Empty: the default lakehouse's Files/scribe_lakehouse on Fabric, else $LAKEHOUSE_ROOT.
ROOT = ""
COHORTS = []  # only these cohorts; [] = all

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

batch = pipeline.stage_pending(eng, cohorts=COHORTS or None)
if batch is None:
    print("nothing new or changed in Bronze")
else:
    print(f"staged {len(batch.files)} file(s) in cohort(s) {', '.join(batch.cohorts)}")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
