# Fabric notebook source

# METADATA ********************

# META {
# META   "kernel_info": {
# META     "name": "synapse_pyspark"
# META   },
# META   "dependencies": {}
# META }

# MARKDOWN ********************

# # 08 · Validate Silver
# Runs every registry rule (required columns, unique keys, minimum rows, note quality, ECG heart rate,
# referential integrity) as Spark aggregations and appends the results to `silver.ingest_log`, with this
# batch's reconciliation counts. Fails the notebook when a rule fails.

# PARAMETERS CELL ********************

# Lakehouse root. Empty: the default lakehouse's Files/scribe_lakehouse on Fabric, else $LAKEHOUSE_ROOT.
ROOT = ""

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

results = pipeline.validate(eng)
for r in results:
    print(f"{r.table:20} {r.row_count:>9}  {'pass' if r.passed else 'FAIL ' + ', '.join(r.failed_checks)}")
failed = [r.table for r in results if not r.passed]
if failed:
    raise RuntimeError(f"Silver validation failed for: {', '.join(failed)}")

# METADATA ********************

# META {
# META   "language": "python",
# META   "language_group": "synapse_pyspark"
# META }
