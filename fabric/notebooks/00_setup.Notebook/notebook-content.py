# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   },
# META   "dependencies": {}
# META }

# MARKDOWN ********************

# # 00 · Setup
# Checks the Spark session (engine, version, UTC session time zone, Change Data Feed support), that the
# lakehouse root is writable, what Bronze already holds, and whether the public Coherent bucket answers.
# Attach the default lakehouse and the environment with the `scribe-lakehouse` wheel first (docs/FABRIC.md).

# PARAMETERS CELL ********************

# Lakehouse root. Empty: the default lakehouse's Files/scribe_lakehouse on Fabric, else $LAKEHOUSE_ROOT.
ROOT = ""
# Anonymous HEAD request to s3://synthea-open-data (set False where there is no network).
CHECK_S3 = True

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

report = fabric.setup_report(eng, check_s3=CHECK_S3)
for name, value in vars(report).items():
    print(f"{name:20} {value}")
if not report.ok:
    raise RuntimeError("the lakehouse root is not writable from this session")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
